// The page sources every layer's tests run on. Each test file loops over
// these so that a behaviour is proved on native and on ArrayBuffer memory.
import { BufferPages, OsPages, type PageSource } from "../os/mod.ts";

/** A named way to make a fresh page source for a test. */
export interface SourceMaker {
  name: "OsPages" | "BufferPages";
  /** Makes a page source of `reserve` bytes (default 64 MiB). */
  make(options?: { reserve?: number; retain?: number }): PageSource;
}

/** OsPages and BufferPages, in that order. */
export const sources: SourceMaker[] = [
  {
    name: "OsPages",
    make: ({ reserve = 2 ** 26, retain } = {}) =>
      new OsPages({ reserve, retain }),
  },
  {
    name: "BufferPages",
    make: ({ reserve = 2 ** 26 } = {}) => new BufferPages({ reserve }),
  },
];
