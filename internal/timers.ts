// Timers that run housekeeping (giving memory back) without keeping the
// process alive.

// Lets the process exit while the timer is pending: Deno and Node/Bun each
// have a way; in a browser there is nothing to keep alive.
export function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  if (typeof timer === "object" && timer !== null && "unref" in timer) {
    (timer as { unref(): void }).unref();
  } else if (typeof Deno !== "undefined" && typeof timer === "number") {
    Deno.unrefTimer(timer);
  }
}
