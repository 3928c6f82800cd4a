// The page sources every layer's tests run on. Each test file loops over
// these so that a behaviour is proved on native, ArrayBuffer, WebAssembly and
// shared memory.
import {
  BufferPages,
  OsPages,
  type PageSource,
  SharedPages,
  WasmPages,
} from "../os/mod.ts";

/** A named way to make a fresh page source for a test. */
export interface SourceMaker {
  name: "OsPages" | "BufferPages" | "WasmPages" | "SharedPages";
  /**
   * Whether destroy() empties every view of the memory; a WebAssembly memory
   * stays its module's and a SharedArrayBuffer cannot be detached (their
   * views keep working, the helpers refuse).
   */
  detaches: boolean;
  /** Makes a page source of `reserve` bytes (default 64 MiB). */
  make(options?: { reserve?: number; retain?: number }): PageSource;
}

/**
 * OsPages, BufferPages, WasmPages (on a memory of its own) and SharedPages
 * (an instance attached to another's handle, as a worker's is), in that
 * order.
 */
export const sources: SourceMaker[] = [
  {
    name: "OsPages",
    detaches: true,
    make: ({ reserve = 2 ** 26, retain } = {}) =>
      new OsPages({ reserve, retain }),
  },
  {
    name: "BufferPages",
    detaches: true,
    make: ({ reserve = 2 ** 26 } = {}) => new BufferPages({ reserve }),
  },
  {
    name: "WasmPages",
    detaches: false,
    make: ({ reserve = 2 ** 26 } = {}) => new WasmPages({ reserve }),
  },
  {
    name: "SharedPages",
    detaches: false,
    make: ({ reserve = 2 ** 26 } = {}) =>
      SharedPages.attach(new SharedPages({ reserve }).handle),
  },
];
