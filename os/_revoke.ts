// How a page source whose memory cannot be detached (a WebAssembly memory
// belongs to its module) marks its Memory destroyed: set by Memory itself,
// so that no public method can do it.
import type { Memory } from "./memory.ts";

/** Marks `memory` destroyed: its helpers throw, `destroyed` is true. */
export const revoke: { memory: (memory: Memory) => void } = {
  memory: () => {
    throw new Error("Memory has not been loaded");
  },
};
