// The pool's per-slab rows and per-block marks: what each word of a slab's
// row holds, the slab states, and the two values of a block's `next` entry
// that are no index (a slab holds fewer blocks than either).

/** Words per slab row. */
export const ROW = 6;
/** The last block freed (the free list's head), or END. */
export const FREE_HEAD = 0;
/**
 * The first block never handed out since the slab was taken, nor put on its
 * free list (blocks never used go on it 64 at a time). For the current slab,
 * FREE_HEAD and USED are the pool's fields until it writes them back.
 */
export const FRESH = 1;
/** Live blocks. */
export const USED = 2;
/** One of the states below. */
export const STATE = 3;
/** Links of the partial or empty list the slab is on (slots; 0 ends). */
export const PREV = 4;
export const NEXT = 5;

/** Slab states: no slab in the slot, or where the slab is. */
export const NO_SLAB = 0;
export const CURRENT = 1;
export const PARTIAL = 2;
export const FULL = 3;
export const EMPTY = 4;

/** A block's `next` entry: the end of the free list (or never used). */
export const END = 0xfffe;
/** A block's `next` entry: the block is live. */
export const LIVE = 0xffff;
/** The most blocks a slab holds: every index is below END. */
export const MAX_BLOCKS = 0xfffe;
