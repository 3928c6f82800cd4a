// How many refusals a long-lived object keeps for inspection (the rest are
// only counted): CAllocator's refused calls, WorkerHeap's refused remote
// frees. A program with one buggy call site would otherwise keep every
// error it ever made.

/** How many refused calls are kept, oldest first; later ones are counted. */
export const KEPT_ERRORS = 100;
