// The engine's typed event bus: every part publishes here, and the CLI, the shell and the renderer listen.
import { EventEmitter } from 'node:events'

export class EventBus<Events extends { [K in keyof Events]: unknown }> {
  readonly #emitter = new EventEmitter()

  emit<K extends keyof Events & string>(kind: K, payload: Events[K]): void {
    this.#emitter.emit(kind, payload)
  }

  /** Returns the function that unsubscribes. */
  on<K extends keyof Events & string>(kind: K, listener: (payload: Events[K]) => void): () => void {
    this.#emitter.on(kind, listener)
    return () => this.#emitter.off(kind, listener)
  }
}
