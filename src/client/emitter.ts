/**
 * A tiny typed event emitter (Node's `events` is not in browsers). A listener that throws does not
 * break delivery to the others or the SDK's own bookkeeping: its error goes to the `error`
 * listeners, or, when there are none, is rethrown on a fresh stack so it is not lost.
 */
type Listener = (...args: any[]) => void;

export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  #listeners = new Map<keyof Events, Listener[]>();

  on<E extends keyof Events>(event: E, listener: Events[E]): this {
    const list = this.#listeners.get(event) ?? [];
    // A new array: an emit in progress keeps iterating the list it started with.
    this.#listeners.set(event, [...list, listener]);
    return this;
  }

  once<E extends keyof Events>(event: E, listener: Events[E]): this {
    const wrapper = ((...args: unknown[]) => {
      this.off(event, wrapper as Events[E]);
      listener(...args);
    }) as Events[E];
    return this.on(event, wrapper);
  }

  /** Removes one listener, or every listener of `event` when none is given. */
  off<E extends keyof Events>(event: E, listener?: Events[E]): this {
    if (!listener) {
      this.#listeners.delete(event);
      return this;
    }
    const list = this.#listeners.get(event);
    if (!list) return this;
    const i = list.indexOf(listener);
    if (i >= 0) this.#listeners.set(event, [...list.slice(0, i), ...list.slice(i + 1)]);
    return this;
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** Emitting `error` with no listener is a no-op (unlike Node's EventEmitter): errors here are diagnostics. */
  protected emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    const list = this.#listeners.get(event);
    if (!list) return;
    for (const listener of list) {
      try {
        listener(...args);
      } catch (err) {
        this.#listenerFailed(event, err);
      }
    }
  }

  #listenerFailed(event: keyof Events, err: unknown): void {
    const errors = this.#listeners.get('error' as keyof Events);
    if (event !== 'error' && errors && errors.length > 0) {
      const e = err instanceof Error ? err : new Error(String(err));
      for (const listener of errors) {
        try { listener(e); } catch { /* an error listener that throws has nowhere left to report */ }
      }
      return;
    }
    setTimeout(() => { throw err; }, 0);
  }
}
