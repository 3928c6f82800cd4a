// Every allocator runs the one Allocator contract suite of _conformance.ts:
// a Heap on each page source, a WorkerHeap (alone, and among others on the
// same shared source), an Arena on each parent, a FixedAllocator on each
// page source, the page sources themselves, scratch regions and a
// DebugAllocator on a Heap on each page source. Each entry says, as data,
// what genuinely differs: sizes worth trying, page rounding, how a bad
// pointer is named (whether arenas keep older allocations is the subject's).
import { conformance } from "./_conformance.ts";
import { parents } from "./_arena_parents.ts";
import { sources } from "./_sources.ts";
import {
  arenaSubject,
  debugSubject,
  fixedSubject,
  heapSubject,
  pagesSubject,
  poolSubject,
  scratchSubject,
  workerHeapSubject,
} from "./_subjects.ts";

const P = 4096;

/** Sizes worth trying on a heap: either side of the largest classes. */
const HEAP_SIZES = [0, 1, 16, 17, 2016, 2017, 4048, 4049];

/**
 * A small chunk knows its class (33..48 for 48), a large block its exact
 * size.
 */
const HEAP_SIZE_CHECK = [
  { size: 48, refused: [0, 32, 49, 100], alike: [33, 47] },
  { size: 5000, refused: [4999, 5001, 8192], alike: [] },
];

/**
 * A bump allocator knows the exact size of its newest allocation (of an
 * older one, only that it ends below the bump). A zero size is not refused:
 * a zero-size allocation made at the same place looks the same.
 */
const BUMP_SIZE_CHECK = [
  { size: 48, refused: [1, 47, 49, 64], alike: [] },
  { size: 47, refused: [48], alike: [] },
];

/**
 * Reservations a heap's allocations fill: page 0, the heap's page and one
 * 64 KiB segment of 15 spans; page 0, the heap's page and 8 one-page large
 * blocks.
 */
const HEAP_EXHAUST = [
  { reserve: 18 * P, size: 16, fits: 15 * 253 },
  { reserve: 10 * P, size: 3000, fits: 8 },
];

/**
 * The reasons arenas and fixed regions give: a pointer inside their last
 * allocation is interior; elsewhere they check liveness only.
 */
const BUMP_REASONS = {
  unaligned: "interior",
  interior: "interior",
  far: "foreign",
} as const;

for (const source of sources) {
  conformance({
    name: `Heap on ${source.name}`,
    make: (reserve) => heapSubject(source, reserve),
    sizes: HEAP_SIZES,
    granule: 16,
    live: ["used", "spans", "large"],
    exhaust: HEAP_EXHAUST,
    sizeCheck: HEAP_SIZE_CHECK,
  });
}

conformance({
  name: "WorkerHeap on SharedPages",
  make: (reserve) => workerHeapSubject(reserve),
  sizes: HEAP_SIZES,
  granule: 16,
  live: ["used", "spans", "large"],
  exhaust: HEAP_EXHAUST,
  sizeCheck: HEAP_SIZE_CHECK,
});

conformance({
  name: "WorkerHeap among two others on one SharedPages",
  make: (reserve) => workerHeapSubject(reserve, { others: 2 }),
  sizes: HEAP_SIZES,
  granule: 16,
  live: ["used", "spans", "large", "waiting", "othersUsed"],
  // Each other heap holds its own page and a segment: 17 pages more.
  exhaust: HEAP_EXHAUST.map((e) => ({ ...e, reserve: e.reserve + 2 * 17 * P })),
  sizeCheck: HEAP_SIZE_CHECK,
});

for (const maker of parents) {
  conformance({
    name: `Arena on ${maker.name}`,
    make: (reserve) => arenaSubject(maker, { reserve }),
    // After a 64-byte allocation, 4000 bytes fill the first block exactly.
    sizes: [0, 1, 16, 17, 4000, 4001],
    granule: 16,
    live: ["used"],
    reasons: BUMP_REASONS,
    exhaust: [{
      // Room for the first 4 KiB block alone: not for the 8 KiB second one,
      // nor for the least block it falls back to (a heap parent has its own
      // page, and puts each block in a large block).
      reserve: maker.pageAligned ? 2 * P : 3 * P,
      // A multiple of the alignment: a freed allocation leaves the padding
      // before it in use, which would stop the frees in reverse order.
      size: 1008,
      fits: 4,
    }],
    sizeCheck: BUMP_SIZE_CHECK,
  });
}

for (const source of sources) {
  conformance({
    name: `FixedAllocator on ${source.name}`,
    make: (length = 65536) => fixedSubject(source, { length }),
    sizes: [0, 1, 16, 17, 65536 - 64],
    granule: 16,
    live: ["used"],
    reasons: BUMP_REASONS,
    exhaust: [{ reserve: 256, size: 16, fits: 16 }],
    sizeCheck: BUMP_SIZE_CHECK,
  });
}

for (const source of sources) {
  conformance({
    name: source.name,
    make: (reserve) => pagesSubject(source, { reserve }),
    sizes: [0, 1, P - 1, P, P + 1, 2 * P],
    granule: P,
    live: ["live", "liveRuns"],
    // The last page is never handed out: it is free, not another's.
    reasons: { foreign: "double-free" },
    exhaust: [
      { reserve: 16 * P, size: P, fits: 15 },
      { reserve: 16 * P, size: P + 1, fits: 7 },
    ],
    // A run knows its page count, not the bytes asked for.
    sizeCheck: [
      { size: 5000, refused: [4096, 8193, 3 * P], alike: [P + 1, 2 * P] },
      { size: 48, refused: [P + 1], alike: [1, 47, P] },
    ],
  });
}

conformance({
  name: "scratch regions",
  make: () => scratchSubject(),
  sizes: [0, 1, 16, 17, 4000, 4001],
  granule: 16,
  live: ["used"],
  reasons: BUMP_REASONS,
  // All regions share the worker's scratch arenas: no twin, no tiny one.
  twin: false,
  sizeCheck: BUMP_SIZE_CHECK,
});

for (const source of sources) {
  conformance({
    name: `DebugAllocator on a Heap on ${source.name}`,
    make: (reserve) => debugSubject(source, reserve),
    sizes: [0, 1, 16, 17, 2016, 2017, 4048],
    granule: 16,
    live: ["live", "used"],
    // It knows its blocks, not the memory: a pointer into one is interior,
    // any other is foreign.
    reasons: { unaligned: "interior", far: "foreign" },
    // It keeps every block's exact size.
    sizeCheck: [
      { size: 48, refused: [0, 47, 49], alike: [] },
      { size: 5000, refused: [4999, 5001], alike: [] },
    ],
  });
}

// Every block of a pool has the one block size: any size up to it is alike.
const POOL_SIZE_CHECK = [
  { size: 48, refused: [12289], alike: [0, 1, 12288] },
];

// A pool's blocks hold every size the contract resizes to (up to 12000):
// a resize never moves. 8 blocks fill a 96 KiB slab, between page 0 and the
// last page a page source never hands out.
for (const source of sources) {
  conformance({
    name: `Pool on ${source.name}`,
    make: (reserve) => poolSubject(source, reserve),
    sizes: [0, 1, 16, 17, 4096, 12288],
    granule: 16,
    live: ["blocks", "used"],
    exhaust: [{ reserve: 2 * P + 8 * 12288, size: 12288, fits: 8 }],
    sizeCheck: POOL_SIZE_CHECK,
  });
}

conformance({
  name: "Pool on a Heap on BufferPages",
  make: (reserve) => poolSubject(sources[1], reserve, { onHeap: true }),
  sizes: [0, 1, 16, 17, 4096, 12288],
  granule: 16,
  live: ["blocks", "used"],
  sizeCheck: POOL_SIZE_CHECK,
});
