// When to renew a token or lease, the way VSO decides it for dynamic secrets.
import type { Clock } from '../clock.ts'

/** VSO's default and ceiling for `renewalPercent`. */
export const DEFAULT_RENEWAL_PERCENT = 67
export const MAX_RENEWAL_PERCENT = 90

/**
 * Milliseconds from now until renewal is due: ttl × (renewalPercent + 10 − jitter)% with jitter in [0, 10),
 * so many leases issued together do not all renew in the same instant.
 */
export function renewalDelayMs(ttlSeconds: number, renewalPercent: number, clock: Pick<Clock, 'random'>): number {
  const percent = Math.min(Math.max(renewalPercent, 0), MAX_RENEWAL_PERCENT) + 10 - clock.random() * 10
  return Math.max(0, Math.round(ttlSeconds * 10 * percent))
}

/** Vault granted less than was asked: the lease or token has reached its max TTL and cannot be extended further. */
export function isTruncated(requestedSeconds: number, grantedSeconds: number): boolean {
  return grantedSeconds < requestedSeconds
}

/** For events, logs and the UI: enough of a lease or accessor id to tell them apart, never the whole. */
export function maskId(id: string): string {
  const slash = id.lastIndexOf('/')
  const prefix = slash >= 0 ? id.slice(0, slash + 1) : ''
  const tail = id.slice(slash + 1)
  return `${prefix}${tail.slice(0, 4)}…${tail.length > 8 ? tail.slice(-4) : ''}`
}

/** Vault's older path forms carry a token or a lease id in the path itself: the token goes, the lease id is masked. */
export function maskPath(path: string): string {
  return path
    .replace(/(auth\/token\/(?:lookup|renew|revoke|revoke-orphan)\/)[^?]+/, '$1…')
    .replace(/(sys\/(?:leases\/)?(?:lookup|renew|revoke)\/)([^?]+)/, (_, prefix: string, id: string) => prefix + maskId(id))
}
