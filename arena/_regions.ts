// The hook through which scratch regions begin and end on an Arena: `begin`
// pushes a mark, `end` pops back to it and forgets it (a plain `pop` keeps the
// mark, so that it can be popped to again), and tests read how many runs of
// marks its storage holds. Arena's static block fills it in with its private
// methods, so that no public method exposes them.
import type { Arena } from "./arena.ts";

/** What `scratch.ts` calls on an arena to begin and end a region. */
export interface ArenaRegions {
  begin(arena: Arena): number;
  end(arena: Arena, mark: number): void;
  /** The runs of marks the arena's storage has room for (for tests). */
  markSlots(arena: Arena): number;
}

const unset = (): never => {
  throw new Error("Arena is not loaded: import it before scratch regions");
};

/** The hooks, set by the static block of {@linkcode Arena}. */
export const arenaRegions: ArenaRegions = {
  begin: unset,
  end: unset,
  markSlots: unset,
};
