// How a page source whose memory cannot be detached (a WebAssembly memory
// belongs to its module, a SharedArrayBuffer to every worker) marks its
// Memory destroyed, and how the allocators on it learn of it without a
// check of their own on every call: their fast paths test the length of a
// cached byte view, which detaching makes 0 — and so does `whenRevoked`, by
// swapping in an empty view.
import type { Memory } from "../os/memory.ts";

/** Set by Memory itself, so that no public method can revoke one. */
export const revoke: {
  memory: (memory: Memory) => void;
  revoked: (memory: Memory) => boolean;
} = {
  memory: () => {
    throw new Error("Memory has not been loaded");
  },
  revoked: () => false,
};

/** Whether `memory`'s buffer was detached by someone else (not revoked by its page source's destroy): transferred, or a WebAssembly memory grown. */
export function movedOut(memory: Memory): boolean {
  return memory.buffer.byteLength === 0 && !revoke.revoked(memory);
}

// What to mark when a memory's buffer is seen moved out: OsPages keeps its
// range mapped for good then (a moved buffer may still point into it).
const movedMarks = new WeakMap<Memory, { moved: boolean }>();

/** Has `mark.moved` set once anything finds `memory`'s buffer moved out. */
export function markWhenMoved(memory: Memory, mark: { moved: boolean }): void {
  movedMarks.set(memory, mark);
}

/**
 * Called by whatever finds `memory`'s views empty (a refused call): notes
 * it if its buffer was moved out, for {@linkcode markWhenMoved}.
 */
export function noteDetached(memory: Memory): void {
  const mark = movedMarks.get(memory);
  if (mark !== undefined && movedOut(memory)) mark.moved = true;
}

interface Watchers {
  refs: Set<WeakRef<{ revoked(): void }>>;
  // When the set reaches this size, refs whose watcher is gone are dropped
  // (and it doubles): many short-lived allocators on one memory cost nothing.
  pruneAt: number;
}

const watchers = new WeakMap<Memory, Watchers>();

/**
 * Marks `memory` destroyed (its helpers throw, `destroyed` is true) and tells
 * every live watcher.
 */
export function revokeMemory(memory: Memory): void {
  revoke.memory(memory);
  for (const ref of watchers.get(memory)?.refs ?? []) ref.deref()?.revoked();
  watchers.delete(memory);
}

/**
 * Calls `watcher.revoked()` when `memory` is revoked, for as long as the
 * watcher is alive (it is held weakly); returns the way to stop.
 */
export function whenRevoked(
  memory: Memory,
  watcher: { revoked(): void },
): () => void {
  const ref = new WeakRef(watcher);
  let w = watchers.get(memory);
  if (w === undefined) {
    watchers.set(memory, w = { refs: new Set(), pruneAt: 64 });
  }
  const { refs } = w;
  refs.add(ref);
  if (refs.size >= w.pruneAt) {
    for (const r of refs) if (r.deref() === undefined) refs.delete(r);
    w.pruneAt = 2 * Math.max(32, refs.size);
  }
  return () => refs.delete(ref);
}

// Detaches a buffer, so that every view of it reads as empty: with
// `transfer()` where the runtime has it (Node 20 has not), else by
// transferring it through structuredClone, which every runtime has.
export function detachBuffer(buffer: ArrayBuffer): void {
  if (typeof buffer.transfer === "function") buffer.transfer();
  else structuredClone(buffer, { transfer: [buffer] });
}
