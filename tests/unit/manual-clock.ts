// A clock for unit tests of pure logic: time moves only when the test says so.
import type { Clock } from '../../main/engine/clock.ts'

export class ManualClock implements Clock {
  #now = 1_800_000_000_000
  #timers: { at: number; fn: () => void; cancelled: boolean }[] = []
  randomValue = 0.5

  now(): number {
    return this.#now
  }

  random(): number {
    return this.randomValue
  }

  schedule(fn: () => void, ms: number): () => void {
    const timer = { at: this.#now + ms, fn, cancelled: false }
    this.#timers.push(timer)
    return () => (timer.cancelled = true)
  }

  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.#now + ms
    for (;;) {
      const due = this.#timers.filter((timer) => !timer.cancelled && timer.at <= end).sort((a, b) => a.at - b.at)[0]
      if (!due) break
      this.#now = due.at
      due.cancelled = true
      due.fn()
    }
    this.#now = end
    this.#timers = this.#timers.filter((timer) => !timer.cancelled)
  }

  get pending(): number {
    return this.#timers.filter((timer) => !timer.cancelled).length
  }
}
