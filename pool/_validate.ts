// The pool's full invariant walk: every slot's row, list and free list, the
// block marks, the page map and the counters, and the bytes no block owns,
// which must read as zero. It walks all of the pool's memory.
import { hex } from "../internal/checks.ts";
import { HeapCorruptionError } from "../os/errors.ts";
import type { Memory } from "../os/memory.ts";
import * as rows from "./_slab_rows.ts";
import { PAGE, type PageMap } from "./_page_map.ts";

const {
  CURRENT,
  EMPTY,
  END,
  FREE_HEAD,
  FRESH,
  FULL,
  LIVE,
  NEXT,
  NO_SLAB,
  PARTIAL,
  PREV,
  ROW,
  STATE,
  USED,
} = rows;

/** Everything of a pool that the walk reads. */
export interface PoolParts {
  memory: Memory;
  meta: Int32Array;
  first: Float64Array;
  slab: Float64Array;
  next: Uint16Array;
  map: PageMap;
  slots: number;
  cur: number;
  partialHead: number;
  emptyHead: number;
  emptyTail: number;
  blocks: number;
  slabCount: number;
  blockSize: number;
  stride: number;
  slabSize: number;
  blocksPerSlab: number;
}

/**
 * Throws a HeapCorruptionError naming the first inconsistency found, and
 * where (`span` is the slab, `chunk` the block). It changes nothing.
 */
export function validatePool(p: PoolParts): void {
  const { meta: m, next, blocksPerSlab: n, stride } = p;
  const u8 = p.memory.u8;
  const stateOf = (s: number) => m[s * ROW + STATE];
  // The lists: each slab on the list of its state, linked both ways.
  const listed = new Set<number>();
  const walkList = (head: number, state: number, name: string): number => {
    let prev = 0, s = head;
    for (; s !== 0; prev = s, s = m[s * ROW + NEXT]) {
      const where = `slab ${hex(p.slab[s])} on the ${name} list`;
      if (listed.has(s)) {
        corrupt(`${where} is listed twice (a cycle?)`, p.slab[s]);
      }
      listed.add(s);
      if (stateOf(s) !== state) {
        corrupt(`${where} is in state ${stateOf(s)}`, p.slab[s]);
      }
      if (m[s * ROW + PREV] !== prev) {
        corrupt(
          `${where} links back to slot ${m[s * ROW + PREV]}, not ${prev}`,
          p.slab[s],
        );
      }
    }
    return prev;
  };
  walkList(p.partialHead, PARTIAL, "partial");
  const tail = walkList(p.emptyHead, EMPTY, "empty");
  if (tail !== p.emptyTail) {
    corrupt(
      `the empty list ends at slot ${tail}, not at its tail ${p.emptyTail}`,
    );
  }
  let blocks = 0, slabs = 0;
  const seenFree = new Uint8Array(n);
  for (let s = 1; s < p.slots; s++) {
    const state = stateOf(s);
    if (state === NO_SLAB) continue;
    slabs++;
    const at = p.slab[s], first = p.first[s];
    const where = `slab ${hex(at)}`;
    const row = s * ROW;
    const used = m[row + USED], fresh = m[row + FRESH];
    if ((state === CURRENT) !== (s === p.cur)) {
      corrupt(
        `${where} is in state ${state}, but the current slab is slot ${p.cur}`,
        at,
      );
    }
    if ((state === PARTIAL || state === EMPTY) !== listed.has(s)) {
      corrupt(
        `${where} is in state ${state} but ${
          listed.has(s) ? "on" : "on no"
        } list`,
        at,
      );
    }
    if (fresh < 0 || fresh > n || used < 0 || used > fresh) {
      corrupt(
        `${where} counts ${used} used of ${fresh} handed out (of ${n})`,
        at,
      );
    }
    // The free list: blocks handed out before, each once, not live.
    seenFree.fill(0);
    let free = 0;
    for (let i = m[row + FREE_HEAD]; i !== END; i = next[s * n + i]) {
      if (i >= fresh) {
        corrupt(
          `${where}'s free list reaches block ${i}, never handed out`,
          at,
          first + i * stride,
        );
      }
      if (seenFree[i] !== 0) {
        corrupt(`${where}'s free list has a cycle at block ${i}`, at);
      }
      seenFree[i] = 1;
      if (++free > fresh) corrupt(`${where}'s free list is too long`, at);
    }
    let live = 0;
    for (let i = 0; i < n; i++) {
      const mark = next[s * n + i];
      if (mark === LIVE) {
        if (i >= fresh) {
          corrupt(`${where}: block ${i} is live but never handed out`, at);
        }
        live++;
      } else if (i < fresh && seenFree[i] === 0) {
        corrupt(
          `${where}: block ${i} is neither live nor on the free list`,
          at,
          first + i * stride,
        );
      }
    }
    if (live !== used || live + free !== fresh) {
      corrupt(
        `${where} counts ${used} used, but ${live} blocks are live and ${free} free of ${fresh}`,
        at,
      );
    }
    const wantState = used === n && s !== p.cur ? FULL : state;
    if (
      state !== wantState || (state === EMPTY && used !== 0) ||
      (state === PARTIAL && (used === 0 || used === n))
    ) {
      corrupt(
        `${where} holds ${used} of ${n} blocks but is in state ${state}`,
        at,
      );
    }
    blocks += used;
    // The page map.
    for (
      let page = Math.ceil(at / PAGE);
      page * PAGE < at + p.slabSize;
      page++
    ) {
      if (p.map.pages[2 * page] !== s) {
        corrupt(
          `page ${hex(page * PAGE)} of ${where} maps to slot ${
            p.map.pages[2 * page]
          }`,
          at,
        );
      }
      if (p.map.pages[2 * page + 1] !== page * PAGE - first) {
        corrupt(
          `page ${hex(page * PAGE)} of ${where} maps to offset ${
            p.map.pages[2 * page + 1]
          }, not ${page * PAGE - first}`,
          at,
        );
      }
    }
    if (at % PAGE !== 0 && p.map.inside[Math.floor(at / PAGE)] !== s) {
      corrupt(`the first page of ${where} does not map to it`, at);
    }
    // Bytes no block owns read as zero: the head, each block's padding,
    // the blocks never handed out, the tail.
    const zero = (from: number, to: number, what: string) => {
      for (let b = from; b < to; b++) {
        if (u8[b] !== 0) {
          corrupt(
            `byte ${hex(b)} of ${where} (${what}) should read as zero, but is ${
              u8[b]
            }: a write past the end of a block?`,
            at,
          );
        }
      }
    };
    zero(at, first, "before block 0");
    if (stride > p.blockSize) {
      for (let i = 0; i < fresh; i++) {
        const b = first + i * stride;
        zero(b + p.blockSize, b + stride, `the padding after block ${hex(b)}`);
      }
    }
    zero(first + fresh * stride, at + p.slabSize, "blocks never handed out");
  }
  if (slabs !== p.slabCount) {
    corrupt(
      `the pool counts ${p.slabCount} slabs, but ${slabs} slots hold one`,
    );
  }
  if (blocks !== p.blocks) {
    corrupt(`the pool counts ${p.blocks} blocks, but ${blocks} are live`);
  }
}

function corrupt(what: string, span?: number, chunk?: number): never {
  throw new HeapCorruptionError(`Pool is inconsistent: ${what}`, {
    span,
    chunk,
  });
}
