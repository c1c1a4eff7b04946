// The work queue every reconciler runs from, with the guarantees of client-go's: a key is queued at most once,
// never handled by two workers at once (a change that arrives mid-reconcile runs it again afterwards),
// a bounded number of workers, delayed re-queues, and per-key exponential backoff after failures.
import type { Clock } from '../clock.ts'
import { withDefaults } from '../options.ts'

export interface QueueOptions {
  concurrency?: number
  /** VSO's Vault-error backoff: 5 s initial, ×1.5 each failure, at most 60 s, randomised ±50 %. */
  backoff?: { initialMs: number; maxMs: number; multiplier: number; randomization: number }
  /** Queue keys but run none until release(): workers wait for the caches to fill, as controller-runtime's do. */
  held?: boolean
}

/** What a handler asks for: nothing (done until the next change), or another run after a while. */
export type Outcome = { requeueAfterMs?: number } | void

export class WorkQueue {
  readonly #queued: string[] = []
  readonly #queuedSet = new Set<string>()
  readonly #running = new Set<string>()
  /** Added while running: run again once the current run ends. */
  readonly #dirty = new Set<string>()
  readonly #timers = new Map<string, { at: number; cancel: () => void }>()
  readonly #failures = new Map<string, number>()
  readonly #options: Required<QueueOptions>
  #active = 0
  #stopped = false
  #held: boolean
  #idle: (() => void)[] = []

  constructor(
    private readonly handler: (key: string) => Promise<Outcome>,
    private readonly clock: Clock,
    options: QueueOptions = {},
    private readonly onError: (key: string, error: unknown, retryInMs: number) => void = () => {},
  ) {
    this.#options = withDefaults({ concurrency: 100, backoff: { initialMs: 5_000, maxMs: 60_000, multiplier: 1.5, randomization: 0.5 }, held: false }, options)
    this.#held = this.#options.held
  }

  /** Starts the workers of a queue made `held`. */
  release(): void {
    this.#held = false
    this.#pump()
  }

  /** Queues the key now (a pending delayed run is superseded). */
  add(key: string): void {
    if (this.#stopped) return
    this.#cancelTimer(key)
    if (this.#running.has(key)) {
      this.#dirty.add(key)
      return
    }
    if (this.#queuedSet.has(key)) return
    this.#queuedSet.add(key)
    this.#queued.push(key)
    this.#pump()
  }

  /** Queues the key after a delay; an earlier pending run wins over a later one. */
  addAfter(key: string, delayMs: number): void {
    if (this.#stopped) return
    if (delayMs <= 0) return this.add(key)
    const at = this.clock.now() + delayMs
    const pending = this.#timers.get(key)
    if (pending && pending.at <= at) return
    pending?.cancel()
    const cancel = this.clock.schedule(() => {
      this.#timers.delete(key)
      this.add(key)
    }, delayMs)
    this.#timers.set(key, { at, cancel })
  }

  /** Drops every trace of the key: pending runs and its backoff (the object was deleted). */
  forget(key: string): void {
    this.#cancelTimer(key)
    this.#failures.delete(key)
    this.#dirty.delete(key)
    if (this.#queuedSet.delete(key)) this.#queued.splice(this.#queued.indexOf(key), 1)
  }

  /** When the next delayed run of the key is due (epoch ms), if one is pending. */
  nextRunAt(key: string): number | undefined {
    return this.#timers.get(key)?.at
  }

  get length(): number {
    return this.#queued.length
  }

  get activeWorkers(): number {
    return this.#active
  }

  /** Resolves once nothing is queued or running (delayed runs do not count). */
  whenIdle(): Promise<void> {
    if (this.#active === 0 && this.#queued.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  stop(): void {
    this.#stopped = true
    for (const key of [...this.#timers.keys()]) this.#cancelTimer(key)
    this.#queued.length = 0
    this.#queuedSet.clear()
  }

  #cancelTimer(key: string): void {
    this.#timers.get(key)?.cancel()
    this.#timers.delete(key)
  }

  #pump(): void {
    if (this.#held) return
    while (this.#active < this.#options.concurrency && this.#queued.length > 0) {
      const key = this.#queued.shift()!
      this.#queuedSet.delete(key)
      this.#running.add(key)
      this.#active++
      void this.#run(key)
    }
    if (this.#active === 0 && this.#queued.length === 0) for (const resolve of this.#idle.splice(0)) resolve()
  }

  async #run(key: string): Promise<void> {
    let requeueAfterMs: number | undefined
    try {
      const outcome = await this.handler(key)
      this.#failures.delete(key)
      requeueAfterMs = outcome?.requeueAfterMs
    } catch (error) {
      const failures = (this.#failures.get(key) ?? 0) + 1
      this.#failures.set(key, failures)
      requeueAfterMs = this.backoffMs(failures)
      this.onError(key, error, requeueAfterMs)
    } finally {
      this.#running.delete(key)
      this.#active--
    }
    if (this.#dirty.delete(key)) this.add(key)
    else if (requeueAfterMs !== undefined) this.addAfter(key, requeueAfterMs)
    this.#pump()
  }

  /** The wait before the n-th retry (n ≥ 1). */
  backoffMs(failures: number): number {
    const { initialMs, maxMs, multiplier, randomization } = this.#options.backoff
    const base = Math.min(initialMs * multiplier ** (failures - 1), maxMs)
    return Math.round(base * (1 - randomization + 2 * randomization * this.clock.random()))
  }
}
