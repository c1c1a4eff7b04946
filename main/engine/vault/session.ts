// A Vault session: one token (kept alive by the token manager), the leases obtained with it, and the
// encrypted client cache that carries both across restarts of the app.
import type { ClientCache, LoadResult } from '../cache/client-cache.ts'
import type { Clock } from '../clock.ts'
import type { AuthConfig, VaultToken } from './auth.ts'
import type { VaultClient } from './client.ts'
import { LeaseManager, type LeaseEvent, type LeaseRecord } from './leases.ts'
import { TokenManager, type TokenEvent } from './token-manager.ts'

export type VaultSessionEvent =
  | { source: 'token'; event: TokenEvent }
  | { source: 'lease'; event: LeaseEvent }
  | { source: 'cache'; event: { kind: 'save-failed'; message: string } }

export interface VaultSessionOptions {
  client: VaultClient
  auth: AuthConfig
  cache: ClientCache
  clock: Clock
  renewalPercent?: number
  onEvent?: (event: VaultSessionEvent) => void
  /** Changes are written together, this long after the first of them. */
  saveDelayMs?: number
}

const LEASE_PREFIX = 'lease:'

export class VaultSession {
  readonly tokens: TokenManager
  readonly leases: LeaseManager
  readonly #options: VaultSessionOptions
  #cancelSave: (() => void) | undefined
  #saving: Promise<void> = Promise.resolve()

  constructor(options: VaultSessionOptions) {
    this.#options = options
    const { client, auth, clock, renewalPercent } = options
    this.tokens = new TokenManager(client, auth, {
      clock,
      renewalPercent,
      onEvent: (event) => this.#options.onEvent?.({ source: 'token', event }),
      onChange: (token) => {
        options.cache.setSession(token)
        this.#scheduleSave()
      },
    })
    this.leases = new LeaseManager(
      client,
      { current: () => this.tokens.token() },
      {
        clock,
        renewalPercent,
        onEvent: (event) => this.#options.onEvent?.({ source: 'lease', event }),
        onChange: (key, lease) => {
          if (lease) options.cache.set(LEASE_PREFIX + key, lease)
          else options.cache.delete(LEASE_PREFIX + key)
          this.#scheduleSave()
        },
      },
    )
  }

  /** Resumes the last run's token and leases from the cache where Vault still honours them. */
  async start(): Promise<LoadResult & { leasesResumed: number }> {
    const { cache } = this.#options
    const loaded = await cache.load(async (session) => {
      if (isToken(session) && (await this.tokens.resume(session))) return session.clientToken
      return (await this.tokens.token()).clientToken
    })
    const kept = cache.withPrefix<LeaseRecord>(LEASE_PREFIX)
    const records = kept.map(([, record]) => record)
    kept.forEach(([key]) => cache.delete(LEASE_PREFIX + key)) // the live ones come back through the 'resumed' events
    const { resumed } = records.length > 0 ? await this.leases.restore(records) : { resumed: 0 }
    await this.tokens.token()
    this.#scheduleSave()
    return { ...loaded, leasesResumed: resumed }
  }

  /** Stops renewing and writes the cache; the token and leases stay valid for the next start. */
  async stop(): Promise<void> {
    this.tokens.stop()
    this.leases.stop()
    this.#cancelSave?.()
    await this.#save()
  }

  #scheduleSave(): void {
    if (this.#cancelSave) return
    this.#cancelSave = this.#options.clock.schedule(() => {
      this.#cancelSave = undefined
      this.#save().catch((error: Error) => this.#options.onEvent?.({ source: 'cache', event: { kind: 'save-failed', message: error.message } }))
    }, this.#options.saveDelayMs ?? 1_000)
  }

  /**
   * Saves run one after another, so an older state never overwrites a newer one. Without a live token
   * (signed out) there is nothing to save with, and saving must not log in again.
   */
  #save(): Promise<void> {
    this.#saving = this.#saving.then(async () => {
      const token = this.tokens.current()
      if (token) await this.#options.cache.save(token.clientToken)
    })
    return this.#saving
  }
}

function isToken(value: unknown): value is VaultToken {
  return typeof value === 'object' && value !== null && typeof (value as VaultToken).clientToken === 'string' && typeof (value as VaultToken).accessor === 'string'
}
