// Run without --allow-ffi: prints the error the bridge's constructor throws.
import { CAllocator } from "../../ffi/mod.ts";
import { BufferPages } from "../../os/mod.ts";

try {
  new CAllocator(new BufferPages({ reserve: 2 ** 16 }));
  console.log("no error");
} catch (e) {
  console.log(`${(e as Error).name}: ${(e as Error).message}`);
}
