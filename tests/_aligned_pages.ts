// Helpers of the aligned page-run tests: where an aligned run must land, and
// a page source on native-looking memory that is not 64 KiB aligned.
import { Memory, PageSource } from "../os/mod.ts";

/**
 * The first byte at or after `from` whose real address (the native one,
 * when the memory has one) is a multiple of `alignment`.
 */
export function alignedFrom(
  pages: PageSource,
  from: number,
  alignment: number,
): number {
  const base = Number((pages.memory.address ?? 0n) % BigInt(alignment));
  return from + ((alignment - ((base + from) % alignment)) % alignment);
}

/**
 * A page source on 4 MiB whose first byte has the native address
 * 0x7f0000003000: 3 pages past a multiple of 64 KiB (mmap promises whole
 * pages only), so pointer page `p` is real page `p + 3` (mod 16).
 */
export class BiasedPages extends PageSource {
  readonly kind = "buffer";
  constructor() {
    super(new Memory(new ArrayBuffer(2 ** 22), { address: 0x7f0000003000n }));
  }
  protected unmap(): void {}
}
