// zlib streams whose state lives on a heap, through the bridge's zalloc and
// zfree: the output equals zlib's own, and a refused allocation is zlib's
// Z_MEM_ERROR with nothing left behind.
import assert from "node:assert/strict";
import { CAllocator } from "../ffi/mod.ts";
import { Heap } from "../heap/mod.ts";
import { OutOfMemoryError } from "../os/mod.ts";
import { assertEmpty, EveryKth, sized } from "./ffi/_allocators.ts";
import { testWith } from "./ffi/_libs.ts";
import {
  deflate,
  inflate,
  sampleText,
  Z_MEM_ERROR,
  Z_STREAM_END,
  zlib,
} from "./ffi/_zlib.ts";

const MIB = 2 ** 20;
const input = zlib.missing ? new Uint8Array(0) : sampleText(16 * MIB);
const stock = zlib.missing ? undefined : deflate(input).output!;

for (
  const [name, wrap] of [
    ["sized (side table)", sized],
    ["usable sizes (the heap itself)", (heap: Heap) => heap],
  ] as const
) {
  testWith(
    `zlib: 16 MiB deflate and inflate on a heap, ${name}`,
    zlib.missing,
    () => {
      using heap = new Heap(); // on native pages of its own
      using bridge = new CAllocator(wrap(heap));
      const packed = deflate(input, bridge);
      assert.equal(packed.code, Z_STREAM_END);
      assert.equal(packed.output!.length, stock!.length);
      assert.ok(packed.output!.every((b, i) => b === stock![i]), "byte-equal");
      assertEmpty(heap, bridge); // deflateEnd gave everything back
      const unpacked = inflate(packed.output!, input.length, bridge);
      assert.equal(unpacked.code, Z_STREAM_END);
      assert.equal(unpacked.output!.length, input.length);
      assert.ok(unpacked.output!.every((b, i) => b === input[i]), "round trip");
      assertEmpty(heap, bridge, 0);
    },
  );
}

testWith(
  "zlib: the bridge holds the stream's state while it lives",
  zlib.missing,
  () => {
    using heap = new Heap(); // on native pages of its own
    let peak = 0;
    const watching = {
      get memory() {
        return heap.memory;
      },
      alloc: (size: number) => {
        const ptr = heap.alloc(size);
        peak = Math.max(peak, heap.bytesUsed);
        return ptr;
      },
      resize: (p: number, o: number, n: number) => heap.resize(p, o, n),
      free: (p: number, s: number) => heap.free(p, s),
    };
    using bridge = new CAllocator(watching);
    assert.equal(deflate(sampleText(4096), bridge).code, Z_STREAM_END);
    // deflate's window, prev, head and pending buffers are 64 KiB each at
    // windowBits 15, memLevel 8 (plus its state): all on the heap.
    assert.ok(peak > 4 * 65536 && peak < 4 * 65536 + 3 * 4096 * 4, `${peak}`);
    assert.equal(heap.bytesUsed, 0);
  },
);

// Every k-th allocation refused: deflateInit2 makes its state, then 4
// buffers (all asked for before it checks them), and inflate 2 (its state
// at init, its window on the first inflate()), so each k fails other ones.
const refusals: {
  k: number;
  deflate: string;
  refused: number[];
  inflate: string;
}[] = [
  { k: 1, deflate: "init", refused: [1], inflate: "init" },
  { k: 2, deflate: "init", refused: [2, 4], inflate: "run" },
  { k: 3, deflate: "init", refused: [3], inflate: "ok" },
  { k: 4, deflate: "init", refused: [4], inflate: "ok" },
  { k: 5, deflate: "init", refused: [5], inflate: "ok" },
  { k: 6, deflate: "ok", refused: [], inflate: "ok" },
];
for (const { k, deflate: d, refused, inflate: i } of refusals) {
  testWith(
    `zlib: every ${k}th zalloc refused is Z_MEM_ERROR, nothing left`,
    zlib.missing,
    () => {
      using heap = new Heap(); // on native pages of its own
      const sample = sampleText(256 * 1024);
      const refusing = new EveryKth(heap, k);
      using bridge = new CAllocator(refusing);
      const packed = deflate(sample, bridge);
      assertEmpty(heap, bridge);
      if (d === "init") {
        assert.deepEqual([packed.code, packed.step], [Z_MEM_ERROR, "init"]);
        assert.deepEqual(
          bridge.errors.map((e) => [e.hook, e.error.message]),
          refused.map((n) => ["zalloc", `Allocation ${n} refused`]),
        );
        assert.ok(bridge.errors[0].error instanceof OutOfMemoryError);
        return;
      }
      assert.equal(packed.code, Z_STREAM_END);
      refusing.calls = 0; // count inflate's allocations from 1
      const unpacked = inflate(packed.output!, sample.length, bridge);
      assertEmpty(heap, bridge);
      if (i === "ok") {
        assert.equal(unpacked.code, Z_STREAM_END);
        assert.ok(unpacked.output!.every((b, j) => b === sample[j]));
        assert.equal(bridge.refusedCalls, 0);
      } else {
        assert.deepEqual([unpacked.code, unpacked.step], [Z_MEM_ERROR, i]);
        assert.equal(bridge.refusedCalls, 1);
      }
    },
  );
}

testWith("zlib: a byte cap makes C see out-of-memory", zlib.missing, () => {
  using heap = new Heap(); // on native pages of its own
  const seen: string[] = [];
  using bridge = new CAllocator(heap, {
    maxBytes: 3 * 65536,
    onError: (call) => seen.push(call.hook),
  });
  const packed = deflate(sampleText(4096), bridge);
  assert.deepEqual([packed.code, packed.step], [Z_MEM_ERROR, "init"]);
  // The state, window and prev fit in 3 × 64 KiB; head and the pending
  // buffer would pass the cap: both refused, and everything freed.
  assert.deepEqual(seen, ["zalloc", "zalloc"]);
  assert.match(
    bridge.errors[0].error.message,
    /past the bridge's cap of 196608 bytes/,
  );
  assert.equal(heap.bytesUsed, 0);
  // Inflate needs its state and a 32 KiB window: under the cap.
  const ok = deflate(sampleText(4096))!;
  assert.equal(inflate(ok.output!, 4096, bridge).code, Z_STREAM_END);
  assert.equal(heap.bytesUsed, 0);
});
