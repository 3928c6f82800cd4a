// The page sources every layer's tests run on. Each test file loops over
// these so that a behaviour is proved on native, ArrayBuffer and WebAssembly
// memory.
import { BufferPages, OsPages, type PageSource, WasmPages } from "../os/mod.ts";

/** A named way to make a fresh page source for a test. */
export interface SourceMaker {
  name: "OsPages" | "BufferPages" | "WasmPages";
  /**
   * Whether destroy() empties every view of the memory; a WebAssembly memory
   * stays its module's (its views keep working, the helpers refuse).
   */
  detaches: boolean;
  /** Makes a page source of `reserve` bytes (default 64 MiB). */
  make(options?: { reserve?: number; retain?: number }): PageSource;
}

/** OsPages, BufferPages and WasmPages (on a memory of its own), in that order. */
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
];
