// Charts as SVG text: a Vega-Lite spec compiled and rendered headless by
// Vega (no canvas, no browser).
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** The font every chart uses (Chromium and most viewers have it). */
export const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";

/**
 * Renders a Vega-Lite spec to an SVG document.
 *
 * @param spec The chart.
 * @returns The SVG text.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), {
    renderer: "none",
  });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
