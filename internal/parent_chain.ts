/**
 * A child allocator's parent chain (an `Arena`, a `Pool`, a `DebugAllocator`
 * or a scratch region on whatever it sits on): whether it is still live,
 * asked cheaply ({@linkcode ChainWatch}, by the count of ends
 * {@linkcode ENDS}), and what is gone when it is not
 * ({@linkcode goneUnder}, the words of the child's `DestroyedError`).
 *
 * @module
 */
import type { Allocator } from "../os/allocator.ts";
import { movedOut } from "./revoke.ts";

/**
 * A count of ends: every `destroy()` of an allocator or page source of this
 * library, and every scratch region's end, adds one. A child whose chain of
 * parents was all live at one count, and can end only by such calls
 * ({@linkcode endsHere}), need not ask the chain again until the count
 * moves: one load on its fast path, however deep the chain (asking cost a
 * getter a level: an arena three levels up on a heap went from 4.3 to 14.3
 * ns per alloc).
 */
export const ENDS: Int32Array = new Int32Array(1);

/** Counts one end; called by every destroy() (and a region's end). */
export function noteEnd(): void {
  ENDS[0]++;
}

/**
 * The key of a getter that says an allocator's `destroyed` (and, for a
 * child, its whole chain's) changes only by a call in this thread that
 * counts in {@linkcode ENDS}: true of this library's allocators and page
 * sources, but not of `SharedPages` (another worker may destroy it) or a
 * chain over one, nor of an allocator from elsewhere.
 */
export const ENDS_HERE: unique symbol = Symbol("endsHere");

/** Whether `parent`'s chain ends only by calls counted in {@linkcode ENDS}. */
export function endsHere(parent: unknown): boolean {
  return (parent as { [ENDS_HERE]?: boolean })?.[ENDS_HERE] === true;
}

/**
 * Whether a child's parent chain is live (its parent, at any depth, reports
 * no `destroyed`), asked again only once an end was counted if the chain
 * ends only so ({@linkcode endsHere}), else at every call: one load and a
 * compare on a child's fast path, however deep the chain.
 */
export class ChainWatch {
  /** Whether the chain ends only by calls counted in {@linkcode ENDS}. */
  readonly endsHere: boolean;
  #parent: { readonly destroyed?: boolean };
  // The count of ends at which the chain was last seen live (-1: never).
  #liveAt = -1;

  /** Watches the chain under `parent`. */
  constructor(parent: unknown) {
    this.#parent = parent as { readonly destroyed?: boolean };
    this.endsHere = endsHere(parent);
  }

  /** Whether the chain is live. */
  live(): boolean {
    return this.#liveAt === ENDS[0] || this.#ask();
  }

  #ask(): boolean {
    if (this.#parent.destroyed === true) return false;
    if (this.endsHere) this.#liveAt = ENDS[0];
    return true;
  }
}

// What the walk reads of each link: `destroyed` (chained: an arena, pool,
// debug allocator or scratch region reports it for anything under it too),
// `ended` (a scratch region's), and the next link down (`parent`, or a
// scratch region's `arena`).
interface Link {
  readonly destroyed?: boolean;
  readonly ended?: boolean;
  readonly parent?: unknown;
  readonly arena?: unknown;
}

// Chains loop only by mistake; a bound keeps the walk finite anyway.
const MAX_DEPTH = 64;

/**
 * Says what is gone under a child whose `parent` reports `destroyed`: the
 * deepest link of the chain that does (the one gone itself, not one that
 * only reports what is under it), how far down it is, and whether it was
 * destroyed or (a scratch region) ended. Slow paths only: it walks the chain.
 *
 * @param parent The child's parent.
 * @returns A phrase such as "its parent allocator (a Heap) was destroyed".
 */
export function goneUnder(parent: Allocator): string {
  const memoryGone = "its memory was destroyed with its page source";
  // Its buffer moved out under the page source, which lives on, refusing.
  if (parent.memory !== undefined && movedOut(parent.memory)) {
    return "its memory's buffer was detached under its page source (transferred by a BYOB stream read, buffer.transfer() or a postMessage, or a WebAssembly memory grown by its module)";
  }
  let link = parent as Link;
  if (link.destroyed !== true) return memoryGone;
  let depth = 1;
  for (; depth < MAX_DEPTH; depth++) {
    const next = link.parent ?? link.arena;
    if (typeof next !== "object" || next === null) break;
    if ((next as Link).destroyed !== true) {
      // The link below reports nothing, yet the one memory of the chain is
      // gone: its page source was destroyed under it (a heap does not say).
      if (parent.memory?.destroyed === true) return memoryGone;
      break;
    }
    link = next as Link;
  }
  const name = (link as object).constructor?.name || "Allocator";
  const what = `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}`;
  const verb = link.ended === true ? "ended" : "was destroyed";
  return depth === 1
    ? `its parent allocator (${what}) ${verb}`
    : `an allocator under its parent (${what}, ${depth} levels down) ${verb}`;
}
