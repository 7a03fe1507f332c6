// What a ModelCache object has in flight: adds and downloads by id (so that a
// remove or clear called later waits for them), downloads shared by
// concurrent fetches of one id, and every call close() must wait for.

export type Progress = (done: number, total?: number) => void;

export interface SharedDownload<T> {
  promise: Promise<T>;
  /** Every joined caller's progress callback. */
  listeners: Set<Progress>;
  /** The SHA-256 it was started for, if any. */
  expected: string | undefined;
  /** Aborts the download: when the last caller waiting for it gives up. */
  controller: AbortController;
  /** The callers waiting for it. */
  callers: number;
}

export class InFlight<T> {
  /** Adds and downloads in progress by id: calls take effect in the order they were made. */
  readonly #pending = new Map<string, Set<Promise<unknown>>>();
  readonly #downloads = new Map<string, SharedDownload<T>>();
  readonly #calls = new Set<Promise<unknown>>();

  /** Registers a call close() waits for. */
  track<R>(promise: Promise<R>): Promise<R> {
    this.#calls.add(promise);
    const done = () => this.#calls.delete(promise);
    promise.then(done, done);
    return promise;
  }

  /** Settles once every call tracked so far has. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#calls]);
  }

  /** Registers an add or download of `id`, which a later remove or clear waits for. */
  adding<R>(id: string, promise: Promise<R>): Promise<R> {
    let pending = this.#pending.get(id);
    if (pending === undefined) this.#pending.set(id, (pending = new Set()));
    pending.add(promise);
    const done = () => {
      pending.delete(promise);
      if (pending.size === 0 && this.#pending.get(id) === pending) this.#pending.delete(id);
    };
    promise.then(done, done);
    return promise;
  }

  /** The adds and downloads of `id` (of every id, without one) in progress now. */
  addsBefore(id?: string): Promise<unknown>[] {
    if (id !== undefined) return [...(this.#pending.get(id) ?? [])];
    return [...this.#pending.values()].flatMap((pending) => [...pending]);
  }

  /** The download of `id` in progress, if any. */
  download(id: string): SharedDownload<T> | undefined {
    return this.#downloads.get(id);
  }

  /**
   * Shares a download of `id` with later fetches until it settles. It is a
   * pending add of its own, so a remove after a call that gave up on it still
   * waits for it.
   */
  share(
    id: string,
    expected: string | undefined,
    start: (listeners: Set<Progress>, controller: AbortController) => Promise<T>,
  ): SharedDownload<T> {
    const listeners = new Set<Progress>();
    const controller = new AbortController();
    const promise = this.adding(id, this.track(start(listeners, controller)));
    const shared: SharedDownload<T> = { promise, listeners, expected, controller, callers: 0 };
    this.#downloads.set(id, shared);
    const done = () => this.#downloads.get(id) === shared && this.#downloads.delete(id);
    shared.promise.then(done, done);
    return shared;
  }

  /** Joins a caller to a shared download; returns how it gives up: the last to give up aborts the download. */
  join(id: string, shared: SharedDownload<T>, onProgress: Progress | undefined): () => void {
    if (onProgress !== undefined) shared.listeners.add(onProgress);
    shared.callers++;
    return () => {
      if (onProgress !== undefined) shared.listeners.delete(onProgress);
      if (--shared.callers > 0) return;
      if (this.#downloads.get(id) === shared) this.#downloads.delete(id);
      shared.controller.abort(new Error('every fetch waiting for it gave up'));
    };
  }
}
