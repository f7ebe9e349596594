/**
 * The line of server starts. At most `capacity()` starts run at once; the others wait first come,
 * first served, and each waiting one is told how many are ahead of it: on joining, and then whenever
 * its place changes, at most once per `reportIntervalMs` (a line of hundreds moving one place at a
 * time would otherwise send hundreds of messages per move): at once after a quiet interval, else at
 * the end of the interval.
 *
 * A start leaves the line when a slot is free (it then holds the slot until it calls the release
 * function it got) or when its signal aborts (enter() rejects with the signal's reason and everyone
 * behind moves up).
 */

/** Called with the number of starts ahead (0: next). */
export type PlaceListener = (ahead: number) => void;

interface Waiter {
  /** Whose start it is (a user name): how many each owner has waiting is counted. */
  readonly owner: string;
  readonly admit: (release: () => void) => void;
  readonly onPlace: PlaceListener;
  /** The place last told, so an unchanged place is not told again. */
  toldAhead: number;
}

export const PLACE_REPORT_INTERVAL_MS = 1000;

export class StartLine {
  readonly #capacity: () => number;
  readonly #reportIntervalMs: number;
  readonly #waiting: Waiter[] = [];
  #running = 0;
  #reportTimer: NodeJS.Timeout | undefined;
  #lastReportAt = Number.NEGATIVE_INFINITY;

  /** `capacity` is read at every admission, so a changed limit applies to the next start. */
  constructor(capacity: () => number, reportIntervalMs = PLACE_REPORT_INTERVAL_MS) {
    this.#capacity = capacity;
    this.#reportIntervalMs = reportIntervalMs;
  }

  /** Starts holding a slot now. */
  get running(): number {
    return this.#running;
  }

  /** Starts waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Starts of `owner` waiting for a slot. */
  waitingOf(owner: string): number {
    return this.#waiting.reduce((count, waiter) => count + (waiter.owner === owner ? 1 : 0), 0);
  }

  /**
   * Resolves with the release function once this start may run: at once when a slot is free and
   * nobody waits, else in its turn. Release exactly once, when the start has ended either way.
   */
  enter(owner: string, signal: AbortSignal, onPlace: PlaceListener): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.#waiting.length === 0 && this.#running < this.#capacity()) return Promise.resolve(this.#take());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        owner,
        admit: (release) => {
          signal.removeEventListener('abort', leave);
          resolve(release);
        },
        onPlace,
        toldAhead: this.#waiting.length,
      };
      const leave = () => {
        const index = this.#waiting.indexOf(waiter);
        if (index >= 0) this.#waiting.splice(index, 1);
        this.#placesChanged();
        reject(signal.reason);
      };
      signal.addEventListener('abort', leave, { once: true });
      this.#waiting.push(waiter);
      onPlace(waiter.toldAhead);
    });
  }

  #take(): () => void {
    this.#running += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running -= 1;
      this.#admitWaiting();
    };
  }

  #admitWaiting(): void {
    let admitted = false;
    while (this.#waiting.length > 0 && this.#running < this.#capacity()) {
      const next = this.#waiting.shift() as Waiter;
      next.admit(this.#take());
      admitted = true;
    }
    if (admitted) this.#placesChanged();
  }

  /** Tells the waiting their new places now, or at the end of the current report interval. */
  #placesChanged(): void {
    if (this.#reportTimer !== undefined || this.#waiting.length === 0) return;
    const wait = this.#lastReportAt + this.#reportIntervalMs - performance.now();
    if (wait <= 0) return this.#reportPlaces();
    this.#reportTimer = setTimeout(() => {
      this.#reportTimer = undefined;
      this.#reportPlaces();
    }, wait);
    this.#reportTimer.unref();
  }

  #reportPlaces(): void {
    this.#lastReportAt = performance.now();
    this.#waiting.forEach((waiter, ahead) => {
      if (waiter.toldAhead === ahead) return;
      waiter.toldAhead = ahead;
      waiter.onPlace(ahead);
    });
  }
}
