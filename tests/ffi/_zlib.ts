// A small zlib binding: whole-buffer deflate and inflate, with the stream's
// allocator given (or zlib's own malloc), for tests and benches.
import { openLibrary } from "./_libs.ts";

export const zlib = openLibrary(["libz.so.1", "libz.so"], {
  zlibVersion: { parameters: [], result: "pointer" },
  deflateInit2_: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "i32", "pointer", "i32"],
    result: "i32",
  },
  deflate: { parameters: ["buffer", "i32"], result: "i32" },
  deflateEnd: { parameters: ["buffer"], result: "i32" },
  deflateBound: { parameters: ["buffer", "u64"], result: "u64" },
  inflateInit2_: {
    parameters: ["buffer", "i32", "pointer", "i32"],
    result: "i32",
  },
  inflate: { parameters: ["buffer", "i32"], result: "i32" },
  inflateEnd: { parameters: ["buffer"], result: "i32" },
});

export const Z_OK = 0, Z_STREAM_END = 1, Z_MEM_ERROR = -4, Z_FINISH = 4;
const STREAM_SIZE = 112; // sizeof(z_stream) on 64-bit Linux

/** zlib's allocation functions for a stream; none: zlib's own malloc. */
export interface ZAlloc {
  zalloc: Deno.PointerObject;
  zfree: Deno.PointerObject;
}

/** The outcome of one call: zlib's code, and the bytes made if it worked. */
export interface ZResult {
  /** What the first failing call (or the last one) returned. */
  code: number;
  /** Which call gave `code`. */
  step: "init" | "run" | "end";
  output?: Uint8Array;
}

// z_stream: next_in 0, avail_in 8, next_out 24, avail_out 32, total_out 40,
// msg 48, state 56, zalloc 64, zfree 72, opaque 80.
function stream(alloc: ZAlloc | undefined): [Uint8Array, DataView] {
  const bytes = new Uint8Array(new ArrayBuffer(STREAM_SIZE));
  const view = new DataView(bytes.buffer);
  if (alloc) {
    view.setBigUint64(64, Deno.UnsafePointer.value(alloc.zalloc), true);
    view.setBigUint64(72, Deno.UnsafePointer.value(alloc.zfree), true);
  }
  return [bytes, view];
}

function setBuffers(view: DataView, input: Uint8Array, output: Uint8Array) {
  view.setBigUint64(
    0,
    Deno.UnsafePointer.value(Deno.UnsafePointer.of(input)),
    true,
  );
  view.setUint32(8, input.length, true);
  view.setBigUint64(
    24,
    Deno.UnsafePointer.value(Deno.UnsafePointer.of(output)),
    true,
  );
  view.setUint32(32, output.length, true);
}

/** Deflates `input` in one call (level 6, zlib format). */
export function deflate(input: Uint8Array, alloc?: ZAlloc): ZResult {
  const z = zlib.lib!.symbols;
  return run(
    alloc,
    (s) => z.deflateInit2_(s, 6, 8, 15, 8, 0, z.zlibVersion(), STREAM_SIZE),
    (s) => Number(z.deflateBound(s, BigInt(input.length))),
    input,
    (s) => z.deflate(s, Z_FINISH),
    (s) => z.deflateEnd(s),
  );
}

/** Inflates `input` into `length` bytes in one call. */
export function inflate(
  input: Uint8Array,
  length: number,
  alloc?: ZAlloc,
): ZResult {
  const z = zlib.lib!.symbols;
  return run(
    alloc,
    (s) => z.inflateInit2_(s, 15, z.zlibVersion(), STREAM_SIZE),
    () => length,
    input,
    (s) => z.inflate(s, Z_FINISH),
    (s) => z.inflateEnd(s),
  );
}

// One stream: init, one call over the whole input, end.
function run(
  alloc: ZAlloc | undefined,
  init: (s: Uint8Array) => number,
  outputLength: (s: Uint8Array) => number,
  input: Uint8Array,
  step: (s: Uint8Array) => number,
  end: (s: Uint8Array) => number,
): ZResult {
  const [s, view] = stream(alloc);
  let code = init(s);
  if (code !== Z_OK) return { code, step: "init" };
  const output = new Uint8Array(outputLength(s));
  setBuffers(view, input, output);
  code = step(s);
  const total = Number(view.getBigUint64(40, true));
  const ended = end(s);
  if (code !== Z_STREAM_END) return { code, step: "run" };
  if (ended !== Z_OK) return { code: ended, step: "end" };
  return { code, step: "end", output: output.subarray(0, total) };
}

/** `length` bytes of text-like data: words from a fixed xorshift stream. */
export function sampleText(length: number): Uint8Array {
  const words = [
    "heap",
    "span",
    "page",
    "chunk",
    "segment",
    "class",
    "free",
    "alloc",
    "zlib",
    "memory",
    "\n",
  ];
  const out = new Uint8Array(length);
  let x = 0x9e3779b9, i = 0;
  while (i < length) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const word = words[(x >>> 0) % words.length];
    for (let k = 0; k < word.length && i < length; k++) {
      out[i++] = word.charCodeAt(k);
    }
    if (i < length) out[i++] = 32 + ((x >>> 24) & 7);
  }
  return out;
}
