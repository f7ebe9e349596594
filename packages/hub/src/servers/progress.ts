/**
 * Progress of one server start, in JupyterHub's event model, replayable: a subscriber that
 * arrives late first receives every event so far, then live ones until the terminal event.
 */
export interface ProgressEvent {
  readonly progress: number;
  readonly message: string;
  /** Terminal: the server is up; `url` is where to go. */
  readonly ready?: boolean;
  readonly url?: string;
  /** Terminal: the start failed (or the server was stopped before it became ready). */
  readonly failed?: boolean;
}

export class ProgressLog {
  readonly #events: ProgressEvent[] = [];
  readonly #listeners = new Set<(event: ProgressEvent) => void>();

  get events(): readonly ProgressEvent[] {
    return this.#events;
  }

  get finished(): boolean {
    const last = this.#events.at(-1);
    return last?.ready === true || last?.failed === true;
  }

  push(event: ProgressEvent): void {
    if (this.finished) return;
    this.#events.push(event);
    for (const listener of this.#listeners) listener(event);
    if (this.finished) this.#listeners.clear();
  }

  /** Calls `listener` for past and future events; returns the unsubscribe function. */
  subscribe(listener: (event: ProgressEvent) => void): () => void {
    for (const event of this.#events) listener(event);
    if (this.finished) return () => undefined;
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
