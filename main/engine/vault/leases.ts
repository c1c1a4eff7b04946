// One lease manager for every dynamic secret: hands out a valid lease per request path, renews it at a
// share of its TTL (VSO's renewalPercent), fetches new credentials in time when it can no longer be
// extended, and revokes on request. Every change is published with the lease id masked.
import type { Clock } from '../clock.ts'
import { VaultError, type VaultClient, type VaultMethod } from './client.ts'
import type { LeasedSecret } from './engines.ts'
import { DEFAULT_RENEWAL_PERCENT, isTruncated, maskId, renewalDelayMs } from './renewal.ts'
import { withDefaults } from '../options.ts'

export interface LeaseRequest {
  /** The API path that issues the secret, e.g. `database/creds/app`. */
  path: string
  method?: Extract<VaultMethod, 'GET' | 'POST' | 'PUT'>
  params?: Record<string, string>
}

/** A lease and the secret it came with. `data` is secret: it is kept in memory and in the encrypted cache only. */
export interface LeaseRecord {
  key: string
  request: LeaseRequest
  leaseId: string
  renewable: boolean
  /** The lease duration asked for at each renewal: what the secret was issued with. */
  leaseDurationSeconds: number
  /** Epoch milliseconds. */
  issuedAt: number
  expiresAt: number
  lastRenewedAt?: number
  /** Renewal gave less than asked: new credentials are fetched at the next horizon. */
  truncated: boolean
  /** Accessor of the token that created the lease; the lease dies with that token. */
  ownerAccessor: string
  data: Record<string, unknown>
}

export type LeaseEventKind = 'issued' | 'renewed' | 'truncated' | 'rotated' | 'revoked' | 'lost' | 'resumed' | 'renew-failed'

export interface LeaseEvent {
  kind: LeaseEventKind
  /** Masked: enough to tell leases apart, never the whole id. */
  leaseId: string
  path: string
  ttlSeconds: number
  expiresAt: number
  message?: string
}

export interface LeaseManagerOptions {
  clock: Clock
  renewalPercent?: number
  onEvent?: (event: LeaseEvent) => void
  /** Called with the record whenever a lease is stored or forgotten (undefined), for persistence. */
  onChange?: (key: string, lease: LeaseRecord | undefined) => void
  retryMs?: number
}

export interface TokenSource {
  /** The token to use now, and its accessor (which owns new leases). */
  current(): Promise<{ clientToken: string; accessor: string }>
}

export class LeaseManager {
  readonly #leases = new Map<string, LeaseRecord>()
  readonly #timers = new Map<string, () => void>()
  readonly #inFlight = new Map<string, Promise<LeaseRecord>>()
  readonly #options: Required<LeaseManagerOptions>

  constructor(
    private readonly client: VaultClient,
    private readonly tokens: TokenSource,
    options: LeaseManagerOptions,
  ) {
    this.#options = withDefaults({ renewalPercent: DEFAULT_RENEWAL_PERCENT, onEvent: () => {}, onChange: () => {}, retryMs: 5_000 }, options)
  }

  /** The lease for this request while it is valid; otherwise new credentials. One request at a time per key. */
  async acquire(request: LeaseRequest): Promise<LeaseRecord> {
    const key = leaseKey(request)
    const existing = this.#leases.get(key)
    if (existing && existing.expiresAt > this.#options.clock.now()) return existing
    const pending = this.#inFlight.get(key) ?? this.#issue(key, request, 'issued').finally(() => this.#inFlight.delete(key))
    this.#inFlight.set(key, pending)
    return pending
  }

  /** Renews now; a shorter grant than asked marks it truncated, and new credentials follow at the next horizon. */
  async renew(key: string): Promise<LeaseRecord> {
    const lease = this.#leases.get(key)
    if (!lease) throw new Error(`no lease is tracked for ${key}`)
    if (lease.truncated || !lease.renewable) return this.#issue(key, lease.request, 'rotated')
    const { clientToken } = await this.tokens.current()
    try {
      const renewed = await this.client.request<{ lease_id: string; lease_duration: number; renewable: boolean }>({
        method: 'PUT',
        path: 'sys/leases/renew',
        token: clientToken,
        body: { lease_id: lease.leaseId, increment: lease.leaseDurationSeconds },
      })
      const now = this.#options.clock.now()
      const truncated = isTruncated(lease.leaseDurationSeconds, renewed.lease_duration)
      const updated = { ...lease, expiresAt: now + renewed.lease_duration * 1000, lastRenewedAt: now, renewable: renewed.renewable, truncated }
      this.#store(updated, truncated ? 'truncated' : 'renewed', renewed.lease_duration)
      return updated
    } catch (error) {
      // As VSO: a renewal Vault refuses means new credentials now. Vault unreachable or sealed: retry later.
      if (!(error instanceof VaultError) || error.status === 0 || error.isSealed) throw error
      const gone = error.status === 400 && /lease not found|invalid lease/i.test(error.errors.join(' '))
      const said = error.errors.join('; ') || `HTTP ${error.status}`
      this.#emit(gone ? 'lost' : 'renew-failed', lease, 0, `${gone ? 'Vault no longer knows this lease' : 'Vault refused to renew this lease'} (${said}); fetching new credentials.`)
      return this.#issue(key, lease.request, 'rotated')
    }
  }

  /** Revokes the lease in Vault and stops tracking it. */
  async revoke(key: string): Promise<void> {
    const lease = this.#leases.get(key)
    if (!lease) return
    const { clientToken } = await this.tokens.current()
    await this.client.request({ method: 'PUT', path: 'sys/leases/revoke', token: clientToken, body: { lease_id: lease.leaseId } })
    this.#forget(key)
    this.#emit('revoked', lease, 0)
  }

  /** Every tracked lease, for the encrypted cache and the UI. */
  snapshot(): LeaseRecord[] {
    return [...this.#leases.values()]
  }

  /**
   * Takes back leases kept from an earlier run: each is looked up in Vault, and only those still alive
   * are tracked again, with their remaining TTL.
   */
  async restore(records: LeaseRecord[]): Promise<{ resumed: number; dropped: number }> {
    const { clientToken } = await this.tokens.current()
    let resumed = 0
    await Promise.all(
      records.map(async (record) => {
        try {
          const { data } = await this.client.request<{ data: { ttl: number; renewable: boolean } }>({ method: 'PUT', path: 'sys/leases/lookup', token: clientToken, body: { lease_id: record.leaseId } })
          if (data.ttl <= 0) return
          const lease = { ...record, expiresAt: this.#options.clock.now() + data.ttl * 1000, renewable: data.renewable }
          this.#store(lease, 'resumed', data.ttl)
          resumed++
        } catch (error) {
          if (!(error instanceof VaultError) || error.status === 0 || error.status >= 500) throw error
          // 400/403: the lease is gone, or its owner token is; its credentials are dead too
        }
      }),
    )
    return { resumed, dropped: records.length - resumed }
  }

  stop(): void {
    for (const cancel of this.#timers.values()) cancel()
    this.#timers.clear()
  }

  async #issue(key: string, request: LeaseRequest, kind: 'issued' | 'rotated'): Promise<LeaseRecord> {
    const { clientToken, accessor } = await this.tokens.current()
    const method = request.params ? 'PUT' : (request.method ?? 'GET')
    const secret = await this.client.request<LeasedSecret>({ method, path: request.path, token: clientToken, body: request.params })
    const now = this.#options.clock.now()
    const lease: LeaseRecord = {
      key,
      request,
      leaseId: secret.lease_id,
      renewable: secret.renewable,
      leaseDurationSeconds: secret.lease_duration,
      issuedAt: now,
      expiresAt: now + secret.lease_duration * 1000,
      truncated: false,
      ownerAccessor: accessor,
      data: secret.data,
    }
    this.#store(lease, kind, secret.lease_duration)
    return lease
  }

  #store(lease: LeaseRecord, kind: LeaseEventKind, ttlSeconds: number): void {
    this.#leases.set(lease.key, lease)
    this.#options.onChange(lease.key, lease)
    this.#emit(kind, lease, ttlSeconds)
    this.#timers.get(lease.key)?.()
    if (ttlSeconds <= 0) return // no lease duration: nothing to renew
    const delay = renewalDelayMs(ttlSeconds, this.#options.renewalPercent, this.#options.clock)
    this.#timers.set(lease.key, this.#options.clock.schedule(() => void this.#renewOrRetry(lease.key), delay))
  }

  async #renewOrRetry(key: string): Promise<void> {
    try {
      await this.renew(key)
    } catch (error) {
      const lease = this.#leases.get(key)
      if (!lease) return
      this.#emit('renew-failed', lease, Math.max(0, Math.round((lease.expiresAt - this.#options.clock.now()) / 1000)), (error as Error).message)
      this.#timers.set(key, this.#options.clock.schedule(() => void this.#renewOrRetry(key), this.#options.retryMs))
    }
  }

  #forget(key: string): void {
    this.#timers.get(key)?.()
    this.#timers.delete(key)
    this.#leases.delete(key)
    this.#options.onChange(key, undefined)
  }

  #emit(kind: LeaseEventKind, lease: LeaseRecord, ttlSeconds: number, message?: string): void {
    this.#options.onEvent({ kind, leaseId: maskId(lease.leaseId), path: lease.request.path, ttlSeconds, expiresAt: lease.expiresAt, ...(message ? { message } : {}) })
  }
}

/** One lease per distinct request: path, method and parameters. */
export function leaseKey(request: LeaseRequest): string {
  const params = request.params ? JSON.stringify(Object.entries(request.params).sort(([a], [b]) => a.localeCompare(b))) : ''
  return `${request.params ? 'PUT' : (request.method ?? 'GET')} ${request.path}${params ? ` ${params}` : ''}`
}
