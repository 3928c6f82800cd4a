// Headless Chromium for the browser runs (the tinybench page, the
// cross-runtime cases, screenshots of the charts): TypeScript bundled for the
// browser by `deno bundle`, served from memory on loopback, and a page
// driven by puppeteer-core.
import { fileURLToPath } from "node:url";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

/** Where Chromium is: `$CHROMIUM`, else Debian's `/usr/bin/chromium`. */
export function chromiumPath(): string {
  return Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";
}

// As root in a sandbox with no network but loopback: no setuid sandbox, no
// GPU, and none of the background connections Chromium would open.
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Bundles a TypeScript entry point and everything it imports (npm packages
 * included) into one ES module for the browser.
 *
 * @param entry The entry point.
 * @returns The JavaScript.
 */
export async function bundleForBrowser(entry: URL): Promise<string> {
  const out = await Deno.makeTempFile({ suffix: ".js" });
  try {
    const { success, stderr } = await new Deno.Command(Deno.execPath(), {
      // The bench's own config (its npm imports), wherever deno runs from.
      args: [
        "bundle",
        "--quiet",
        "--config",
        fileURLToPath(new URL("deno.json", import.meta.url)),
        "--platform=browser",
        "-o",
        out,
        entry.href,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!success) {
      throw new Error(
        `deno bundle ${entry.pathname} failed:\n` +
          new TextDecoder().decode(stderr),
      );
    }
    return await Deno.readTextFile(out);
  } finally {
    await Deno.remove(out);
  }
}

/** Files served to the page, by path (`/` is `index.html`). */
export type Site = Record<string, string>;

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  svg: "image/svg+xml",
  css: "text/css; charset=utf-8",
};

/** The open page, and a way to wait for what its script publishes. */
export interface Tab {
  page: Page;
  browser: Browser;
  /**
   * Waits until the page's script sets `globalThis[name]`, and returns it
   * (as JSON). Rejects with the page's own error if its script throws first.
   */
  published<T>(name: string, timeoutMs?: number): Promise<T>;
}

/**
 * Serves `site` on a free loopback port, starts headless Chromium and opens
 * the site's index page; runs `fn`; then closes both. The page is
 * cross-origin isolated (its `performance.now()` then ticks in 5 µs steps
 * instead of 100 µs).
 *
 * @param site The files.
 * @param fn What to do with the page.
 * @returns What `fn` returns.
 */
export async function withChromium<T>(
  site: Site,
  fn: (tab: Tab) => Promise<T>,
): Promise<T> {
  const executablePath = chromiumPath();
  try {
    await Deno.stat(executablePath);
  } catch {
    throw new Error(
      `Chromium not found at ${executablePath}: install Debian's chromium ` +
        "(apt-get install chromium) or set CHROMIUM to its path",
    );
  }
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      const path = new URL(request.url).pathname.replace(/\/$/, "/index.html");
      const body = site[path.slice(1)];
      if (body === undefined) return new Response("not found", { status: 404 });
      return new Response(body, {
        headers: {
          "content-type": TYPES[path.split(".").pop()!] ??
            "application/octet-stream",
          "cross-origin-opener-policy": "same-origin",
          "cross-origin-embedder-policy": "require-corp",
        },
      });
    },
  );
  const browser = await puppeteer.launch({ executablePath, args: FLAGS });
  try {
    const page = await browser.newPage();
    const pageError = new Promise<never>((_, reject) =>
      page.on("pageerror", (e) => reject(e))
    );
    pageError.catch(() => {}); // only raced below
    await page.goto(`http://127.0.0.1:${server.addr.port}/`, {
      timeout: 60_000,
    });
    return await fn({
      page,
      browser,
      async published<V>(name: string, timeoutMs = 120_000): Promise<V> {
        await Promise.race([
          page.waitForFunction(
            (n: string) => n in globalThis,
            { timeout: timeoutMs, polling: 100 },
            name,
          ),
          pageError,
        ]);
        return await page.evaluate(
          (n: string) => (globalThis as Record<string, unknown>)[n],
          name,
        ) as V;
      },
    });
  } finally {
    await browser.close();
    await server.shutdown();
  }
}
