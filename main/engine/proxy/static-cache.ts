// Static secret cache, as Vault Proxy's: a KV GET answer is kept per secret path (and version), and a token
// gets it from the cache only for paths it has itself read successfully through Vault. Capabilities are
// re-checked every refresh interval with sys/capabilities-self; a 403 takes them away at once.
import type { Clock } from '../clock.ts'
import { VaultError, type VaultClient } from '../vault/client.ts'
import { capabilitiesSelf } from '../vault/engines.ts'
import { withDefaults } from '../options.ts'

export interface CachedResponse {
  status: number
  headers: Record<string, string>
  body: Buffer
  storedAt: number
}

export type RefreshBehavior = 'optimistic' | 'pessimistic'

export interface StaticCacheOptions {
  clock: Clock
  /** static_secret_token_capability_refresh_interval (default 5m). */
  capabilityRefreshIntervalMs?: number
  /** static_secret_token_capability_refresh_behavior (default optimistic). */
  refreshBehavior?: RefreshBehavior
  /** How long a token's validity, once checked with Vault, is trusted before a hit checks it again. */
  tokenCheckMs?: number
  onEvent?: (event: StaticCacheEvent) => void
}

/** Why an entry left the cache: a closed vocabulary, for metrics and the UI. */
export type EvictionCause = 'write-through-proxy' | 'changed-in-vault' | 'cleared'

export type StaticCacheEvent =
  | { kind: 'evicted'; secret: string; cause: EvictionCause }
  | { kind: 'capabilities-refreshed'; paths: number; removed: number }
  | { kind: 'capability-removed'; secret: string; reason: string }

export interface TokenRecord {
  token: string
  namespace: string
  /** Secret keys (namespace|api path without version) this token has proved it may read. */
  readable: Map<string, string>
  checkedAt: number
}

/** The part of the key that names the secret; versions of one secret share it. */
export const secretKey = (namespace: string, apiPath: string) => `${namespace}|${apiPath}`
const entryKey = (secret: string, version: string | undefined) => `${secret}|${version ?? ''}`

export class StaticSecretCache {
  readonly #entries = new Map<string, CachedResponse>()
  /** secret key → entry keys, so one change evicts every cached version. */
  readonly #bySecret = new Map<string, Set<string>>()
  readonly #tokens = new Map<string, TokenRecord>()
  readonly #options: Required<StaticCacheOptions>
  #cancelRefresh: (() => void) | undefined

  constructor(
    private readonly client: VaultClient,
    options: StaticCacheOptions,
  ) {
    this.#options = withDefaults({ capabilityRefreshIntervalMs: 5 * 60_000, refreshBehavior: 'optimistic', tokenCheckMs: 1_000, onEvent: () => {} }, options)
  }

  get size(): number {
    return this.#entries.size
  }

  /**
   * The cached answer for this token, or undefined. A token that has not read the secret through Vault,
   * or that Vault no longer honours, never gets it.
   */
  lookup(token: string, namespace: string, apiPath: string, version: string | undefined): CachedResponse | undefined | Promise<CachedResponse | undefined> {
    const secret = secretKey(namespace, apiPath)
    const entry = this.#entries.get(entryKey(secret, version))
    const record = this.#tokens.get(token)
    if (!entry || !record?.readable.has(secret)) return undefined
    // the hot path answers without waiting; only a token not checked for a while goes to Vault first
    if (this.#options.clock.now() - record.checkedAt <= this.#options.tokenCheckMs) return entry
    return this.#stillValid(record).then((valid) => (valid ? entry : undefined))
  }

  /** Keeps a successful read, and that this token may read the secret. */
  store(token: string, namespace: string, apiPath: string, version: string | undefined, response: Omit<CachedResponse, 'storedAt'>): void {
    const secret = secretKey(namespace, apiPath)
    const key = entryKey(secret, version)
    this.#entries.set(key, { ...response, storedAt: this.#options.clock.now() })
    const versions = this.#bySecret.get(secret) ?? new Set()
    versions.add(key)
    this.#bySecret.set(secret, versions)
    const record = this.#tokens.get(token) ?? { token, namespace, readable: new Map(), checkedAt: this.#options.clock.now() }
    record.readable.set(secret, apiPath)
    this.#tokens.set(token, record)
  }

  /** Drops every cached version of a secret (written, deleted or changed elsewhere). */
  evict(namespace: string, apiPath: string, cause: EvictionCause): void {
    const secret = secretKey(namespace, apiPath)
    const versions = this.#bySecret.get(secret)
    if (!versions) return
    versions.forEach((key) => this.#entries.delete(key))
    this.#bySecret.delete(secret)
    this.#options.onEvent({ kind: 'evicted', secret: apiPath, cause })
  }

  /** Vault answered 403 for this token and secret: it may no longer read it from the cache. */
  forbid(token: string, namespace: string, apiPath: string): void {
    if (this.#tokens.get(token)?.readable.delete(secretKey(namespace, apiPath))) this.#options.onEvent({ kind: 'capability-removed', secret: apiPath, reason: 'Vault answered 403' })
  }

  /** The token was revoked through the proxy, or the user cleared it: nothing more for it from the cache. */
  forgetToken(token: string): boolean {
    return this.#tokens.delete(token)
  }

  /** Evicts every secret whose API path starts with the prefix; returns how many. */
  evictPrefix(namespace: string, prefix: string, cause: EvictionCause): number {
    const matching = [...this.#bySecret.keys()].filter((secret) => secret.startsWith(secretKey(namespace, prefix)))
    for (const secret of matching) this.evict(namespace, secret.slice(namespace.length + 1), cause)
    return matching.length
  }

  /** Everything the cache holds, for the encrypted client cache: answers and what each token proved. */
  snapshot(): { entries: [string, CachedResponse][]; tokens: TokenRecord[] } {
    return { entries: [...this.#entries], tokens: [...this.#tokens.values()] }
  }

  /** Takes back a snapshot of an earlier run. Tokens are checked with Vault again before their next hit. */
  restore(snapshot: { entries: [string, CachedResponse][]; tokens: TokenRecord[] }): void {
    for (const [key, entry] of snapshot.entries) {
      this.#entries.set(key, entry)
      const secret = key.slice(0, key.lastIndexOf('|'))
      this.#bySecret.set(secret, (this.#bySecret.get(secret) ?? new Set()).add(key))
    }
    for (const record of snapshot.tokens) this.#tokens.set(record.token, { ...record, checkedAt: 0 })
  }

  clear(): void {
    this.#entries.clear()
    this.#bySecret.clear()
    this.#tokens.clear()
  }

  start(): void {
    this.#cancelRefresh = this.#options.clock.schedule(() => void this.refreshCapabilities().finally(() => this.#cancelRefresh && this.start()), this.#options.capabilityRefreshIntervalMs)
  }

  stop(): void {
    this.#cancelRefresh?.()
    this.#cancelRefresh = undefined
  }

  /** One request per token: which of its cached paths it may still read. */
  async refreshCapabilities(): Promise<void> {
    let paths = 0
    let removed = 0
    for (const record of [...this.#tokens.values()]) {
      const secrets = [...record.readable]
      paths += secrets.length
      try {
        const capabilities = await capabilitiesSelf(this.client, record.token, secrets.map(([, apiPath]) => apiPath), record.namespace)
        for (const [secret, apiPath] of secrets) {
          const granted = capabilities[apiPath] ?? []
          if (!granted.includes('read') && !granted.includes('root')) {
            record.readable.delete(secret)
            removed++
          }
        }
        record.checkedAt = this.#options.clock.now()
      } catch (error) {
        const forbidden = error instanceof VaultError && error.status === 403
        if (forbidden || this.#options.refreshBehavior === 'pessimistic') {
          removed += record.readable.size
          this.#tokens.delete(record.token)
        }
      }
    }
    this.#options.onEvent({ kind: 'capabilities-refreshed', paths, removed })
  }

  async #stillValid(record: TokenRecord): Promise<boolean> {
    try {
      await this.client.request({ method: 'GET', path: 'auth/token/lookup-self', token: record.token, ...(record.namespace ? { headers: { 'X-Vault-Namespace': record.namespace } } : {}) })
      record.checkedAt = this.#options.clock.now()
      return true
    } catch (error) {
      if (error instanceof VaultError && error.status === 403) this.#tokens.delete(record.token)
      return false // unreachable: forward the request, and let Vault's own answer reach the client
    }
  }
}
