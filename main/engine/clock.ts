// Time and randomness come in through this, so tests can drive renewals without waiting.
export interface Clock {
  now(): number
  /** Calls fn after ms; returns the function that cancels it. */
  schedule(fn: () => void, ms: number): () => void
  random(): number
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(fn, ms) {
    // a timer longer than 2^31-1 ms fires at once; no lease here is that long, but clamp to be safe
    const timer = setTimeout(fn, Math.min(ms, 2 ** 31 - 1))
    timer.unref()
    return () => clearTimeout(timer)
  },
  random: () => Math.random(),
}
