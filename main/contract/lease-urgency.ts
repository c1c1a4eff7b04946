// How soon a lease needs attention, for the Leases view, the tray's colour and notifications: one rule, so the window
// and the shell never disagree. Pure (no Node, no DOM), as everything in the contract.
import type { LeaseView } from './leases.ts'

export type LeaseUrgency = 'ok' | 'renewing-soon' | 'warning' | 'expired'

/** The engine renews within this of its next renewal: the view says so rather than alarm. */
const SOON_MS = 60_000

/**
 * expired: past its end. warning: it will end for good soon — its max TTL comes before another full period
 * could be granted, or, unrenewable, a fifth of its life is left — so new credentials (and restarts) are near.
 * renewing-soon: a renewal is due within a minute. ok: otherwise.
 */
export function leaseUrgency(lease: Pick<LeaseView, 'issuedAt' | 'expiresAt' | 'maxExpiresAt' | 'nextRenewalAt' | 'renewable'>, now: number): LeaseUrgency {
  if (lease.expiresAt <= now) return 'expired'
  const period = Math.max(0, lease.expiresAt - lease.issuedAt)
  if (!lease.renewable && lease.expiresAt - now <= Math.max(period / 5, SOON_MS)) return 'warning'
  if (lease.renewable && lease.maxExpiresAt !== undefined && lease.maxExpiresAt - now <= Math.max(period, SOON_MS)) return 'warning'
  if (lease.nextRenewalAt !== undefined && lease.nextRenewalAt - now <= SOON_MS) return 'renewing-soon'
  return 'ok'
}

/** "4 min 05 s", "2 h 03 min", "3 d 4 h": a countdown that stays readable. */
export function describeRemaining(ms: number): string {
  if (ms <= 0) return 'expired'
  const seconds = Math.floor(ms / 1000)
  if (seconds < 60) return `${seconds} s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')} min`
  return `${Math.floor(seconds / 86_400)} d ${Math.floor((seconds % 86_400) / 3600)} h`
}
