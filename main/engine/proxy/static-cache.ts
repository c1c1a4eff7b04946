// Static secret cache, as Vault Proxy's: a KV GET answer is kept per secret path and version, and a token
// gets it from the cache only for the exact path and version it has itself read through Vault, and only
// while Vault's word that it may read that path is fresh (capabilities.ts). Entries expire and the whole
// cache is bounded in bytes, the least recently used going first.
import type { Clock } from '../clock.ts'
import { withDefaults } from '../options.ts'
import type { TokenCapabilities } from './capabilities.ts'

export interface CachedResponse {
  status: number
  headers: Record<string, string>
  body: Buffer
  storedAt: number
  /** After this the entry is gone: a secret that cannot be watched is kept no longer than a polling round. */
  expiresAt: number
}

export interface StaticCacheOptions {
  clock: Clock
  /** static_secret_token_capability_refresh_interval (default 5m): every cached token's paths asked again. */
  capabilityRefreshIntervalMs?: number
  /** How long an entry is kept at most (default 1 h). */
  ttlMs?: number
  /** The bound on what the entries hold, bodies and headers (default 64 MiB). */
  maxBytes?: number
  onEvent?: (event: StaticCacheEvent) => void
}

/** Why an entry left the cache: a closed vocabulary, for metrics and the UI. */
export type EvictionCause = 'write-through-proxy' | 'changed-in-vault' | 'cleared' | 'expired' | 'size-limit'

export type StaticCacheEvent =
  | { kind: 'evicted'; secret: string; cause: EvictionCause }
  | { kind: 'capabilities-refreshed'; paths: number; removed: number }
  | { kind: 'capability-removed'; secret: string; reason: string }

/** What a token proved by reading through Vault: entry keys (namespace|path|version) → API path. */
export interface TokenRecord {
  token: string
  namespace: string
  readable: Map<string, string>
}

/** The part of the key that names the secret; versions of one secret share it. */
export const secretKey = (namespace: string, apiPath: string) => `${namespace}|${apiPath}`
const entryKey = (secret: string, version: string | undefined) => `${secret}|${version ?? ''}`
const sizeOf = (entry: CachedResponse) => entry.body.length + JSON.stringify(entry.headers).length

export class StaticSecretCache {
  /** In least recently used order: a hit moves its entry to the end. */
  readonly #entries = new Map<string, CachedResponse>()
  /** secret key → entry keys, so one change evicts every cached version. */
  readonly #bySecret = new Map<string, Set<string>>()
  readonly #tokens = new Map<string, TokenRecord>()
  readonly #options: Required<StaticCacheOptions>
  #bytes = 0
  #cancelRefresh: (() => void) | undefined

  constructor(
    private readonly capabilities: TokenCapabilities,
    options: StaticCacheOptions,
  ) {
    this.#options = withDefaults({ capabilityRefreshIntervalMs: 5 * 60_000, ttlMs: 60 * 60_000, maxBytes: 64 << 20, onEvent: () => {} }, options)
  }

  get size(): number {
    return this.#entries.size
  }

  get bytes(): number {
    return this.#bytes
  }

  /**
   * The cached answer for this token, or undefined. A token that has not read this version of the secret
   * through Vault, or whose read capability Vault no longer confirms, never gets it.
   */
  lookup(token: string, namespace: string, apiPath: string, version: string | undefined): CachedResponse | undefined | Promise<CachedResponse | undefined> {
    const key = entryKey(secretKey(namespace, apiPath), version)
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt <= this.#options.clock.now()) {
      this.#remove(key, 'expired')
      return undefined
    }
    if (!this.#tokens.get(token)?.readable.has(key)) return undefined
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    const allowed = this.capabilities.allows(token, namespace, apiPath, 'read')
    if (typeof allowed === 'boolean') return allowed ? entry : undefined
    return allowed.then((yes) => (yes ? entry : undefined))
  }

  /** Keeps a successful read, and that this token may read this version of the secret. */
  store(token: string, namespace: string, apiPath: string, version: string | undefined, response: Omit<CachedResponse, 'storedAt' | 'expiresAt'>, ttlMs = this.#options.ttlMs): void {
    const secret = secretKey(namespace, apiPath)
    const key = entryKey(secret, version)
    const now = this.#options.clock.now()
    const entry = { ...response, storedAt: now, expiresAt: now + Math.min(ttlMs, this.#options.ttlMs) }
    if (sizeOf(entry) > this.#options.maxBytes) return
    this.#forgetEntry(key)
    this.#entries.set(key, entry)
    this.#bytes += sizeOf(entry)
    this.#bySecret.set(secret, (this.#bySecret.get(secret) ?? new Set()).add(key))
    const record = this.#tokens.get(token) ?? { token, namespace, readable: new Map() }
    record.readable.set(key, apiPath)
    this.#tokens.set(token, record)
    this.capabilities.confirm(token, namespace, apiPath, 'read')
    for (const [oldest] of this.#entries) {
      if (this.#bytes <= this.#options.maxBytes) break
      this.#remove(oldest, 'size-limit')
    }
  }

  /** Drops every cached version of a secret (written, deleted or changed elsewhere). */
  evict(namespace: string, apiPath: string, cause: EvictionCause): void {
    const secret = secretKey(namespace, apiPath)
    const versions = this.#bySecret.get(secret)
    if (!versions) return
    versions.forEach((key) => this.#forgetEntry(key))
    this.#bySecret.delete(secret)
    this.#options.onEvent({ kind: 'evicted', secret: apiPath, cause })
  }

  /** Vault answered 403 for this token and secret: no version of it for this token from the cache. */
  forbid(token: string, namespace: string, apiPath: string): void {
    const record = this.#tokens.get(token)
    const secret = secretKey(namespace, apiPath)
    const proved = [...(record?.readable.keys() ?? [])].filter((key) => key.slice(0, key.lastIndexOf('|')) === secret)
    proved.forEach((key) => record!.readable.delete(key))
    this.capabilities.deny(token, namespace, apiPath)
    if (proved.length) this.#options.onEvent({ kind: 'capability-removed', secret: apiPath, reason: 'Vault answered 403' })
  }

  /** The token was revoked through the proxy, or the user cleared it: nothing more for it from the cache. */
  forgetToken(token: string): boolean {
    this.capabilities.forget(token)
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

  /** Takes back a snapshot of an earlier run. Capabilities are asked of Vault again before a token's next hit. */
  restore(snapshot: { entries: [string, CachedResponse][]; tokens: TokenRecord[] }): void {
    const now = this.#options.clock.now()
    for (const [key, entry] of snapshot.entries) {
      if (!(entry.expiresAt > now)) continue
      this.#entries.set(key, entry)
      this.#bytes += sizeOf(entry)
      const secret = key.slice(0, key.lastIndexOf('|'))
      this.#bySecret.set(secret, (this.#bySecret.get(secret) ?? new Set()).add(key))
    }
    for (const record of snapshot.tokens) this.#tokens.set(record.token, record)
  }

  clear(): void {
    this.#entries.clear()
    this.#bySecret.clear()
    this.#tokens.clear()
    this.capabilities.clear()
    this.#bytes = 0
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
    const { paths, removed } = await this.capabilities.refreshAll()
    this.#options.onEvent({ kind: 'capabilities-refreshed', paths, removed })
  }

  #remove(key: string, cause: EvictionCause): void {
    const apiPath = key.slice(key.indexOf('|') + 1, key.lastIndexOf('|'))
    this.#forgetEntry(key)
    const secret = key.slice(0, key.lastIndexOf('|'))
    const versions = this.#bySecret.get(secret)
    versions?.delete(key)
    if (versions?.size === 0) this.#bySecret.delete(secret)
    this.#options.onEvent({ kind: 'evicted', secret: apiPath, cause })
  }

  #forgetEntry(key: string): void {
    const entry = this.#entries.get(key)
    if (!entry) return
    this.#bytes -= sizeOf(entry)
    this.#entries.delete(key)
  }
}
