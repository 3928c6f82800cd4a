// Helpers of the page-source tests: its counters at a glance (to prove a
// refused call changed nothing), where an aligned run must land, and a page
// source on native-looking memory that is not 64 KiB aligned.
import { Memory, PageSource } from "../os/mod.ts";

/**
 * A page source's counters: live bytes and runs, free runs, retained,
 * touched and table bytes.
 */
export function counters(pages: PageSource): number[] {
  return [
    pages.liveBytes,
    pages.liveRuns,
    pages.freeRuns,
    pages.retainedBytes,
    pages.touchedBytes,
    pages.tableBytes,
  ];
}

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
