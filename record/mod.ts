/**
 * C-layout records: define a record once from named fields of C types
 * (integers, floats, pointers, fixed arrays, nested records) and get its
 * size, alignment and field offsets by C's rules, cursors that read and
 * write its fields in any {@linkcode Memory} with one typed-array index, a
 * {@linkcode Pool} of its size, its C declaration and its Deno FFI type.
 *
 * @example A particle on a pool
 * ```ts
 * import { defineRecord } from "@sp/mem/record";
 * import assert from "node:assert/strict";
 *
 * const Particle = defineRecord("Particle", {
 *   x: "f64",
 *   y: "f64",
 *   vx: "f64",
 *   vy: "f64",
 *   id: "u32",
 * });
 * using pool = Particle.pool();
 * const p = Particle.cursor(pool.memory);
 * p.ptr = pool.alloc();
 * p.id = 7;
 * p.vx = 0.5;
 * p.x += p.vx;
 * assert.equal(p.x, 0.5);
 * assert.equal(pool.memory.u32[(p.ptr + Particle.offsets.id) / 4], 7);
 * ```
 *
 * @module
 */
export * from "./record.ts";
export * from "./record_array.ts";
