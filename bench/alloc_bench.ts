/**
 * `deno bench --allow-ffi --allow-env=NODE_ENV bench/`: an allocation and a
 * free of one size, on every backend of the report (each writes 0x50 over
 * the allocation, as in the report), grouped by size with the heap as the
 * baseline.
 *
 * @module
 */
import { BACKEND_NAMES, makeBackend } from "./backends/mod.ts";
import { WORKLOADS } from "./workloads.ts";

// Any workload whose sizes reach 65536 sizes every backend for these benches.
const sizing = WORKLOADS.find((w) => w.name === "realloc_grow")!;

for (const size of [16, 64, 512, 4096, 8192, 65536]) {
  for (const name of BACKEND_NAMES) {
    const backend = await makeBackend(name, sizing);
    Deno.bench(`${name} alloc+free ${size}`, {
      group: `alloc+free ${size} bytes`,
      baseline: name === "heap",
    }, () => {
      backend.free(backend.alloc(size), size);
    });
  }
}
