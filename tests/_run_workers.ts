// Deno workers for the worker tests: one module run in `count` workers, each
// sent its own message, each answering once. A worker that throws fails the
// test (not the whole run); one that has not answered by `timeoutMs` is
// stuck (a broken lock can leave shared bookkeeping in a loop), so the test
// fails instead of hanging.

/** Runs `module` in one worker per message; resolves with their answers. */
export function runWorkers<Message, Answer>(
  module: URL,
  messages: Message[],
  timeoutMs: number,
): Promise<Answer[]> {
  return Promise.all(messages.map((message, index) => {
    const worker = new Worker(module, { type: "module" });
    return new Promise<Answer>((resolve, reject) => {
      const done = (settle: () => void) => {
        clearTimeout(timer);
        worker.terminate();
        settle();
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`worker ${index} timed out`))),
        timeoutMs,
      );
      worker.onmessage = (e: MessageEvent<Answer>) =>
        done(() => resolve(e.data));
      worker.onerror = (e) => {
        e.preventDefault();
        done(() => reject(new Error(e.message)));
      };
      worker.postMessage(message);
    });
  }));
}

/**
 * A worker's random numbers in [0, 1): xorshift32 from a seed derived from
 * its index, so that every worker draws its own sequence, the same every run.
 */
export function workerRandom(index: number): () => number {
  let seed = (0x9e3779b9 ^ (index + 1) * 0x85ebca6b) | 1;
  return () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
}
