// The cases of page_source_fixes_test.ts that need a process of their own
// (a crash, a runtime without SharedArrayBuffer, another OS, other
// permissions): `deno run <flags> tests/_page_source_child.ts <case>`.
import * as mem from "../os/mod.ts";
import { Heap } from "../heap/mod.ts";

const cases: Record<string, () => Promise<void> | void> = {
  // A buffer moved out of OsPages memory, and the source collected.
  async moved() {
    let pages: mem.OsPages | null = new mem.OsPages({ reserve: 2 ** 24 });
    const p = pages.alloc(4096);
    pages.memory.u8[p] = 42;
    const moved = new Uint8Array(pages.memory.buffer.transfer());
    console.log(moved[p]);
    pages = null;
    const gc = (globalThis as { gc?: () => void }).gc!;
    for (let i = 0; i < 10; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    moved[p + 1] = 7; // the range is still mapped: no SIGSEGV
    console.log(moved[p], moved[p + 1]);
  },
  // Sources never destroyed, in a process whose address space holds a few
  // reservations (ulimit -v): the collected ones' ranges are unmapped when a
  // new one does not fit, but a range whose buffer was seen moved is not.
  async neverDestroyed() {
    const gc = (globalThis as { gc?: () => void }).gc!;
    const collect = async () => {
      for (let i = 0; i < 4; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    // One moved out and seen so (a call refused, by a heap on it), then
    // dropped: kept, its address never handed to another source.
    let seen: mem.OsPages | null = new mem.OsPages({ reserve: 2 ** 32 });
    let heap: Heap | null = new Heap({ pages: seen });
    const p = heap.alloc(5000);
    const address = seen.memory.address;
    const moved = new Uint8Array(seen.memory.buffer.transfer());
    try {
      heap.alloc(64);
    } catch (e) {
      console.log((e as Error).name);
    }
    seen = heap = null;
    let made = 0, reused = 0;
    for (let i = 0; i < 64; i++) {
      const pages = new mem.OsPages({ reserve: 2 ** 32 });
      pages.alloc(4096);
      if (pages.memory.address === address) reused++;
      made++;
      await collect();
    }
    moved[p] = 9; // still mapped, and no other source's
    console.log(made, reused, moved[p]);
  },
  // A browser page without cross-origin isolation has no SharedArrayBuffer.
  noSharedArrayBuffer() {
    delete (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer;
    for (
      const make of [
        () => new mem.SharedPages({ reserve: 2 ** 20 }),
        () => mem.SharedPages.attach({} as mem.SharedPagesHandle),
      ]
    ) {
      try {
        make();
      } catch (e) {
        console.log(
          `${(e as Error).constructor.name}: ${(e as Error).message}`,
        );
      }
    }
  },
  otherOs() {
    // What the library reads of the OS (Deno.build itself is frozen).
    Object.defineProperty(Deno, "build", {
      value: { ...Deno.build, os: "darwin" },
    });
    console.log(mem.defaultPages({ reserve: 2 ** 20 }).kind);
  },
  scoped() {
    try {
      new mem.OsPages({ reserve: 2 ** 20 });
    } catch (e) {
      console.log(`${(e as Error).constructor.name}: ${(e as Error).message}`);
    }
    console.log(mem.defaultPages({ reserve: 2 ** 20 }).kind);
  },
  // 20 reservations of 64 GiB whose clock throws: none stays mapped.
  throwingClock() {
    const vmSize = () =>
      Number(
        Deno.readTextFileSync("/proc/self/status").match(
          /VmSize:\s+(\d+)/,
        )![1],
      ) * 1024;
    const before = vmSize();
    for (let i = 0; i < 20; i++) {
      try {
        new mem.OsPages({
          reserve: 2 ** 36,
          clock: () => {
            throw new Error("no clock");
          },
        });
      } catch (e) {
        if ((e as Error).message !== "no clock") throw e;
      }
    }
    console.log(vmSize() - before < 2 ** 36);
  },
};

await cases[Deno.args[0]]();
