/**
 * A PNG of an SVG as headless Chromium draws it:
 * `deno run -A bench/screenshot.ts CHART.svg [OUT.png]` (default: the SVG's
 * name with `.png`). For looking at the charts the way a reader's browser
 * shows them.
 *
 * @module
 */
import { withChromium } from "./_chromium.ts";

const [svgPath, pngPath = svgPath?.replace(/\.svg$/, "") + ".png"] = Deno.args;
if (!svgPath) {
  console.error("usage: deno run -A bench/screenshot.ts CHART.svg [OUT.png]");
  Deno.exit(2);
}
await withChromium({
  "index.html":
    `<!doctype html><style>body{margin:0}</style><img src="chart.svg">`,
  "chart.svg": await Deno.readTextFile(svgPath),
}, async ({ page }) => {
  await page.waitForSelector("img");
  await page.waitForFunction(() => {
    const img = (globalThis as unknown as {
      document: { querySelector(s: string): { complete: boolean } };
    }).document.querySelector("img");
    return img.complete;
  });
  await page.setViewport({ width: 400, height: 300 });
  await page.screenshot({ path: pngPath, fullPage: true });
});
console.log(pngPath);
