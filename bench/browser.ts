/**
 * The micro benchmarks in headless Chromium, timed by tinybench:
 * `deno task bench:browser [--screenshot=FILE.png]`. Bundles `web/page.ts`
 * for the browser, serves `web/` on loopback, waits for the page to finish,
 * prints its table and, if asked, saves a screenshot of the page. Needs
 * Debian's `chromium` (or `CHROMIUM` set to a Chromium binary).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { bundleForBrowser, withChromium } from "./_chromium.ts";
import type { WebResult } from "./web/page.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { screenshot: { type: "string" } },
});

const web = new URL("web/", import.meta.url);
const site = {
  "index.html": await Deno.readTextFile(new URL("index.html", web)),
  "page.js": await bundleForBrowser(new URL("page.ts", web)),
};
await withChromium(site, async ({ page, browser, published }) => {
  console.log(`chromium ${await browser.version()}, tinybench, ns per call`);
  const results = await published<WebResult[]>("results", 600_000);
  console.table(results.map((r) => ({
    ...r,
    "ns/op": Number(r["ns/op"].toFixed(1)),
    "±%": Number(r["±%"].toFixed(1)),
  })));
  if (values.screenshot) {
    await page.setViewport({ width: 900, height: 600 });
    await page.screenshot({ path: values.screenshot, fullPage: true });
    console.log(`screenshot: ${values.screenshot}`);
  }
});
