/**
 * Makes a fresh backend instance by name. Each backend module is loaded only
 * when asked for, so a process that runs one backend compiles only its code
 * (and the workload loop stays monomorphic).
 *
 * @module
 */
import type { Workload } from "../workloads.ts";
import type { Backend, BackendName } from "./backend.ts";

export { BACKEND_NAMES, type BackendName } from "./backend.ts";
export type { Backend } from "./backend.ts";

/**
 * A fresh instance of a backend, sized for a workload.
 *
 * @param name The backend.
 * @param workload The workload it will run.
 * @returns The instance.
 */
export async function makeBackend(
  name: BackendName,
  workload: Workload,
): Promise<Backend<unknown>> {
  switch (name) {
    case "heap":
    case "heap-unsafe":
    case "heap-buffer": {
      const { HeapBackend } = await import("./heap.ts");
      return HeapBackend.make(name) as Backend<unknown>;
    }
    case "malloc": {
      const { MallocBackend, libc } = await import("./malloc.ts");
      return new MallocBackend(workload.hi, libc()) as Backend<unknown>;
    }
    case "malloc-view": {
      const { MallocViewBackend, libc } = await import("./malloc.ts");
      return new MallocViewBackend(workload.hi, libc()) as Backend<unknown>;
    }
    case "gc": {
      const { GcBackend } = await import("./gc.ts");
      return new GcBackend() as Backend<unknown>;
    }
    case "typedarray-pool": {
      const { TypedArrayPoolBackend } = await import("./typedarray_pool.ts");
      return new TypedArrayPoolBackend() as Backend<unknown>;
    }
    case "thi.ng": {
      const { ThingBackend } = await import("./thing.ts");
      return new ThingBackend(workload) as Backend<unknown>;
    }
  }
}
