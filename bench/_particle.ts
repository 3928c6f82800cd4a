// The particle record of the benchmarks (and of tests/_records.ts, which
// checks its layout against gcc): 36 bytes of fields, 40 with padding.
import { defineRecord } from "../record/mod.ts";

/** `{ x, y, vx, vy: f64; id: u32 }`. */
export const Particle = defineRecord("Particle", {
  x: "f64",
  y: "f64",
  vx: "f64",
  vy: "f64",
  id: "u32",
});
