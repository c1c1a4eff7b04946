// Lease cache, as Vault Agent and Proxy keep one: a request, sent with a token, that returned a lease
// (dynamic credentials) or a new token (a token create) is answered again from the cache when the same token
// sends the same request while the lease is valid, so a tool that asks twice does not mint two database
// users. A login (no token) is never cached: its credential may have changed. Cached leases are renewed at a
// share of their TTL; a revocation through the proxy evicts them, and one made elsewhere is found by a
// lookup before a hit once the last check is older than `freshMs`.
import { createHash } from 'node:crypto'
import type { Clock } from '../clock.ts'
import { withDefaults } from '../options.ts'
import { VaultError, type VaultClient } from '../vault/client.ts'
import { DEFAULT_RENEWAL_PERCENT, maskId, renewalDelayMs } from '../vault/renewal.ts'

export interface LeaseCacheEntry {
  /** Token that asked; only it is answered from this entry, and its revocation evicts it. */
  owner: string
  /** The lease id, or for a token created through the proxy, that token. */
  leaseId: string
  kind: 'lease' | 'token'
  status: number
  headers: Record<string, string>
  body: Buffer
  storedAt: number
  expiresAt: number
  /** What each renewal asks for: the duration the lease came with. */
  ttlSeconds: number
  renewable: boolean
  /** When Vault last said the lease (or token) is alive. */
  checkedAt: number
}

export type LeaseCacheEvent = { kind: 'lease-cached' | 'lease-renewed' | 'lease-evicted'; leaseId: string; reason?: string }

interface LeaseCacheOptions {
  clock: Clock
  renewalPercent?: number
  /** How long Vault's word that a lease is alive is trusted before a hit asks again. */
  freshMs?: number
  onEvent?: (event: LeaseCacheEvent) => void
}

/** What a Vault answer says about its lease, if it has one worth caching. */
export function leaseOf(body: Buffer): { kind: 'lease' | 'token'; leaseId: string; ttlSeconds: number; renewable: boolean } | undefined {
  let parsed: { lease_id?: string; lease_duration?: number; renewable?: boolean; auth?: { client_token?: string; lease_duration?: number; renewable?: boolean } | null }
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
  if (parsed.auth?.client_token && (parsed.auth.lease_duration ?? 0) > 0) {
    return { kind: 'token', leaseId: parsed.auth.client_token, ttlSeconds: parsed.auth.lease_duration!, renewable: parsed.auth.renewable ?? false }
  }
  if (parsed.lease_id && (parsed.lease_duration ?? 0) > 0) return { kind: 'lease', leaseId: parsed.lease_id, ttlSeconds: parsed.lease_duration!, renewable: parsed.renewable ?? false }
  return undefined
}

export class LeaseCache {
  readonly #entries = new Map<string, LeaseCacheEntry>()
  readonly #timers = new Map<string, () => void>()
  readonly #options: Required<LeaseCacheOptions>

  constructor(
    private readonly client: VaultClient,
    options: LeaseCacheOptions,
  ) {
    this.#options = withDefaults({ renewalPercent: DEFAULT_RENEWAL_PERCENT, freshMs: 1_000, onEvent: () => {} }, options)
  }

  get size(): number {
    return this.#entries.size
  }

  /** One entry per token, namespace and exact request: method, path with query, and body. */
  static keyOf(token: string, namespace: string, method: string, pathAndQuery: string, body: Buffer): string {
    return createHash('sha256').update(token).update('\0').update(namespace).update('\0').update(method).update('\0').update(pathAndQuery).update('\0').update(body).digest('hex')
  }

  /** The cached answer while its lease is valid, and Vault has said so within `freshMs`. */
  get(key: string): LeaseCacheEntry | undefined | Promise<LeaseCacheEntry | undefined> {
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    const now = this.#options.clock.now()
    if (entry.expiresAt <= now) {
      this.#drop(key, 'expired')
      return undefined
    }
    if (now - entry.checkedAt <= this.#options.freshMs) return entry
    return this.#stillAlive(key, entry).then((alive) => (alive ? entry : undefined))
  }

  /** A lease revoked elsewhere is dropped; when Vault cannot say, nothing is served and the request goes to Vault. */
  async #stillAlive(key: string, entry: LeaseCacheEntry): Promise<boolean> {
    try {
      if (entry.kind === 'token') await this.client.request({ method: 'GET', path: 'auth/token/lookup-self', token: entry.leaseId })
      else await this.client.request({ method: 'PUT', path: 'sys/leases/lookup', token: entry.owner, body: { lease_id: entry.leaseId } })
      entry.checkedAt = this.#options.clock.now()
      return true
    } catch (error) {
      const status = error instanceof VaultError ? error.status : 0
      // a token without sys/leases/lookup (no default policy) cannot ask: its path capability, checked apart, decides
      if (entry.kind === 'lease' && status === 403) {
        entry.checkedAt = this.#options.clock.now()
        return true
      }
      if (status >= 400 && status < 500) this.#drop(key, `Vault no longer knows it (${status})`)
      return false
    }
  }

  store(key: string, owner: string, response: { status: number; headers: Record<string, string>; body: Buffer }, lease: NonNullable<ReturnType<typeof leaseOf>>): void {
    const now = this.#options.clock.now()
    this.#entries.set(key, { owner, leaseId: lease.leaseId, kind: lease.kind, ...response, storedAt: now, expiresAt: now + lease.ttlSeconds * 1000, ttlSeconds: lease.ttlSeconds, renewable: lease.renewable, checkedAt: now })
    this.#options.onEvent({ kind: 'lease-cached', leaseId: maskId(lease.leaseId) })
    if (lease.renewable) this.#scheduleRenewal(key, lease.ttlSeconds)
  }

  /** A lease (or a token) revoked through the proxy. */
  evictLease(leaseId: string, reason: string): number {
    return this.#dropWhere((entry) => entry.leaseId === leaseId || entry.leaseId.startsWith(`${leaseId}/`), reason)
  }

  /** Everything a revoked token asked for, and the token itself if it was created through the proxy. */
  evictToken(token: string, reason: string): number {
    return this.#dropWhere((entry) => entry.owner === token || entry.leaseId === token, reason)
  }

  /** Every cached lease, for the encrypted client cache. */
  snapshot(): [string, LeaseCacheEntry][] {
    return [...this.#entries]
  }

  /** Takes back the leases of an earlier run that have not expired, and renews them from here on. */
  restore(entries: [string, LeaseCacheEntry][]): void {
    const now = this.#options.clock.now()
    for (const [key, entry] of entries) {
      if (entry.expiresAt <= now) continue
      this.#entries.set(key, { ...entry, checkedAt: 0 }) // asked of Vault again before its first hit
      if (entry.renewable) this.#scheduleRenewal(key, entry.ttlSeconds)
    }
  }

  clear(): number {
    return this.#dropWhere(() => true, 'cleared')
  }

  stop(): void {
    this.#timers.forEach((cancel) => cancel())
    this.#timers.clear()
  }

  #scheduleRenewal(key: string, ttlSeconds: number): void {
    this.#timers.get(key)?.()
    const delay = renewalDelayMs(ttlSeconds, this.#options.renewalPercent, this.#options.clock)
    this.#timers.set(key, this.#options.clock.schedule(() => void this.#renew(key, ttlSeconds), delay))
  }

  /** Extends the lease with the token that owns it; one Vault no longer extends simply runs out. */
  async #renew(key: string, ttlSeconds: number): Promise<void> {
    const entry = this.#entries.get(key)
    if (!entry) return
    try {
      const granted =
        entry.kind === 'token'
          ? (await this.client.request<{ auth: { lease_duration: number } }>({ method: 'POST', path: 'auth/token/renew-self', token: entry.leaseId, body: { increment: `${ttlSeconds}s` } })).auth.lease_duration
          : (await this.client.request<{ lease_duration: number }>({ method: 'PUT', path: 'sys/leases/renew', token: entry.owner, body: { lease_id: entry.leaseId, increment: ttlSeconds } })).lease_duration
      entry.expiresAt = this.#options.clock.now() + granted * 1000
      entry.checkedAt = this.#options.clock.now()
      this.#options.onEvent({ kind: 'lease-renewed', leaseId: maskId(entry.leaseId) })
      if (granted >= ttlSeconds) this.#scheduleRenewal(key, ttlSeconds)
    } catch (error) {
      if (error instanceof VaultError && error.status >= 400 && error.status < 500) this.#drop(key, `Vault refused to renew it (${error.status})`)
      else this.#timers.set(key, this.#options.clock.schedule(() => void this.#renew(key, ttlSeconds), 5_000))
    }
  }

  #dropWhere(matches: (entry: LeaseCacheEntry) => boolean, reason: string): number {
    const keys = [...this.#entries].filter(([, entry]) => matches(entry)).map(([key]) => key)
    keys.forEach((key) => this.#drop(key, reason))
    return keys.length
  }

  #drop(key: string, reason: string): void {
    const entry = this.#entries.get(key)
    if (!entry) return
    this.#entries.delete(key)
    this.#timers.get(key)?.()
    this.#timers.delete(key)
    this.#options.onEvent({ kind: 'lease-evicted', leaseId: maskId(entry.leaseId), reason })
  }
}
