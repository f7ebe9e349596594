/**
 * A bound on any awaited step of the bench that talks to a process which might never answer (a
 * hub stuck mid-request): the bench fails with a message naming the step, and cleanUp() stops
 * what it started, instead of hanging.
 */

/** `work`, or a rejection naming `what` after `timeoutMs`. The work itself is not cancelled. */
export async function withDeadline<T>(what: string, timeoutMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s: ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
