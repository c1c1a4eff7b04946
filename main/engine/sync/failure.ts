// Why a reconcile failed, with the event reason VSO gives it: thrown by the reconcilers, read by diagnose.ts.
import type { EventReason } from './status.ts'

/** A failure with VSO's event reason; `retry` false means nothing will change until the resource does. */
export class SyncFailure extends Error {
  constructor(
    readonly reason: EventReason,
    readonly error: unknown,
    readonly retry: boolean,
    /** A failure not retried with backoff, but tried again once this much time has passed. */
    readonly retryAfterMs?: number,
  ) {
    super(error instanceof Error ? error.message : String(error))
    this.name = 'SyncFailure'
  }
}

export const failure = (reason: EventReason, error: unknown, retry = true) => new SyncFailure(reason, error, retry)
