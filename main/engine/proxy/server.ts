// The local Vault proxy: a loopback listener that forwards every request to the upstream Vault unchanged
// and answers KV reads from the static secret cache when the requesting token has earned it. It never
// answers what Vault would refuse: a cached answer is keyed by everything Vault decides on, and served only
// while Vault's word that this token may make this request is fresh.
import { createServer, request as httpRequest, type Agent as HttpAgent, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { chmodSync } from 'node:fs'
import { createServer as createHttpsServer, request as httpsRequest, type Agent as HttpsAgent } from 'node:https'
import type { AddressInfo } from 'node:net'
import { text } from 'node:stream/consumers'
import { createHash } from 'node:crypto'
import type { Registry } from 'prom-client'
import type { ClientCache } from '../cache/client-cache.ts'
import type { Clock } from '../clock.ts'
import { createRegistry, proxyMetrics } from '../telemetry/metrics.ts'
import { withDefaults } from '../options.ts'
import { KvChangeFeed, type ChangeFeedStatus } from '../vault/changes.ts'
import { VaultClient, VaultError, vaultAgent } from '../vault/client.ts'
import { capabilitiesSelf } from '../vault/engines.ts'
import type { VaultConnectionSettings } from '../vault/connection.ts'
import { kvSecretOf, MountResolver, type MountKind } from './mounts.ts'
import { LeaseCache, leaseOf, type LeaseCacheEntry } from './lease-cache.ts'
import { StaticSecretCache, type CachedResponse, type TokenRecord } from './static-cache.ts'
import { permits, TokenCapabilities, type Need, type RefreshBehavior } from './capabilities.ts'
import { trimSlashes } from '../vault/paths.ts'
import type { ProxyEvent } from './events.ts'
import { ProxyCounter, type ProxyCounts } from './stats.ts'

export interface ProxyOptions {
  upstream: VaultConnectionSettings
  /** Loopback only: 127.0.0.1 (default), ::1 or localhost. */
  host?: string
  /** 0 picks a free port. */
  port?: number
  /** Listen on this Unix socket (mode 0600) instead of a TCP port. */
  socketPath?: string
  /** Serve HTTPS with this certificate (see tls.ts for one made on this machine). */
  tls?: { cert: string; key: string }
  clock: Clock
  /** Larger request bodies are refused with 413 (Vault's own default max_request_size is 32 MiB). */
  maxBodyBytes?: number
  staticSecretCache?: boolean
  /** Cache answers that carry a lease or a new token, per token and request (default on). */
  leaseCache?: boolean
  capabilityRefreshIntervalMs?: number
  /**
   * 'pessimistic' (default): when Vault cannot say what a token may do (down, sealed, 5xx, 429), nothing is
   * served from the cache. 'optimistic': what was last known serves for up to one capability refresh interval.
   */
  refreshBehavior?: RefreshBehavior
  /** How long a token's capability, once Vault stated it, may serve hits before Vault is asked again. */
  tokenCheckMs?: number
  /** The longest a static cache entry is kept (default 1 h), and the bound on all entries in bytes (64 MiB). */
  cacheTtlMs?: number
  cacheMaxBytes?: number
  /** How often KV v2 metadata is polled where the server has no event stream. */
  pollIntervalMs?: number
  /**
   * Vault Proxy's auto-auth for the API proxy: `use_auto_auth_token` true lends the engine's own token to
   * requests that come without one; 'force' uses it for every request. Off unless given.
   */
  autoAuth?: { token: () => Promise<string>; useAutoAuthToken: true | 'force' }
  /**
   * The token the proxy subscribes to Vault's event stream with (`kv*`), never lent to a request; the auto-auth
   * token when not given. Without either, cached KV v2 secrets are kept fresh by polling only.
   */
  eventsToken?: () => Promise<string>
  /** Where the proxy's metrics are registered; a registry of its own when not given. */
  registry?: Registry
  /**
   * Keeps both caches across restarts in an encrypted client cache of their own (a file apart from the
   * engine's), unlocked and saved with the engine's token: every `saveIntervalMs` (default 60 s) and at stop.
   */
  persistence?: { cache: ClientCache; token: () => Promise<string>; saveIntervalMs?: number }
  onEvent?: (event: ProxyEvent) => void
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])
// Headers that describe one connection, not the request: never forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host'])
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const LEASE_METHODS = new Set(['GET', 'PUT', 'POST'])
// revocations that name what they revoke in the body, which the proxy must read to evict it
const REVOCATIONS_WITH_BODY = new Set(['sys/leases/revoke', 'auth/token/revoke'])
// Vault Proxy's and Vault Agent's paths for it
const CACHE_CLEAR_PATHS = new Set(['/proxy/v1/cache-clear', '/agent/v1/cache-clear'])
const METRICS_PATHS = new Set(['/proxy/v1/metrics', '/agent/v1/metrics'])
/** The proxy's own endpoints ask Vault whether the token may use them, as if they were these Vault paths. */
export const PROXY_POLICY_PATHS = { cacheClear: 'vault-tray/proxy/cache-clear', metrics: 'vault-tray/proxy/metrics' } as const
// The only X-Vault-* headers a cached answer may have been asked with: any other (wrapping, MFA, forwarding,
// consistency, policy override) changes what Vault answers, so such a request always goes to Vault.
const CACHE_NEUTRAL_HEADERS = new Set(['x-vault-token', 'x-vault-namespace', 'x-vault-request'])

export class NonLoopbackError extends Error {}

/** A request on a KV secret: its mount, the secret, and the path its reads are cached under. */
interface KvTarget {
  mount: Extract<MountKind, { kind: 'kv' }>
  secret: string
  cacheableRead: boolean
  cachedPath: string
}

export class VaultProxy {
  readonly #options: Required<Omit<ProxyOptions, 'autoAuth' | 'eventsToken' | 'persistence' | 'socketPath' | 'tls'>> & Pick<ProxyOptions, 'autoAuth' | 'eventsToken' | 'persistence' | 'socketPath' | 'tls'>
  readonly #server: Server
  readonly #agent: HttpAgent | HttpsAgent
  readonly #client: VaultClient
  readonly #mounts: MountResolver
  readonly #cache: StaticSecretCache | undefined
  readonly #leases: LeaseCache | undefined
  readonly #feed: KvChangeFeed | undefined
  /** How the caches are kept across restarts, once the persistent cache was opened. */
  #persistence: { file: string; persistent: boolean; problem?: string } | undefined
  readonly #capabilities: TokenCapabilities
  readonly #watching = new Set<string>()
  #cancelSave: (() => void) | undefined
  readonly #metrics: ReturnType<typeof proxyMetrics>
  readonly #requestCounters = new Map<string, ReturnType<ReturnType<typeof proxyMetrics>['requests']['labels']>>()
  readonly #counter = new ProxyCounter()
  #address = ''

  constructor(options: ProxyOptions) {
    this.#options = withDefaults<ProxyOptions>(
      { host: '127.0.0.1', port: 0, maxBodyBytes: 32 << 20, staticSecretCache: true, leaseCache: true, capabilityRefreshIntervalMs: 5 * 60_000, refreshBehavior: 'pessimistic', tokenCheckMs: 1_000, cacheTtlMs: 60 * 60_000, cacheMaxBytes: 64 << 20, pollIntervalMs: 30_000, onEvent: () => {}, autoAuth: undefined, eventsToken: undefined, registry: createRegistry(), persistence: undefined, socketPath: undefined, tls: undefined },
      options,
    )
    if (!LOOPBACK.has(this.#options.host)) {
      throw new NonLoopbackError(`The proxy listens on loopback only (127.0.0.1, ::1 or localhost), so nothing outside this machine can reach it; "${this.#options.host}" is not one of them.`)
    }
    const { upstream, clock } = this.#options
    this.#agent = vaultAgent(upstream, { maxSockets: 64, maxFreeSockets: 16 })
    this.#client = new VaultClient(upstream, { maxRetries: 0 })
    this.#mounts = new MountResolver(this.#client)
    this.#metrics = proxyMetrics(this.#options.registry)
    const emit = (event: ProxyEvent) => this.#emit(event)
    const { capabilityRefreshIntervalMs, refreshBehavior, tokenCheckMs } = this.#options
    this.#capabilities = new TokenCapabilities(this.#client, { clock, freshMs: tokenCheckMs, refreshBehavior, graceMs: capabilityRefreshIntervalMs })
    if (this.#options.staticSecretCache) {
      this.#cache = new StaticSecretCache(this.#capabilities, { clock, capabilityRefreshIntervalMs, ttlMs: this.#options.cacheTtlMs, maxBytes: this.#options.cacheMaxBytes, onEvent: emit })
      // the event stream needs a token of the proxy's own; each watched secret is polled with a token that read it
      this.#feed = new KvChangeFeed(this.#client, this.#options.eventsToken ?? this.#options.autoAuth?.token ?? (async () => ''), {
        clock,
        pollIntervalMs: this.#options.pollIntervalMs,
        onStatus: (status) => emit({ kind: 'freshness', status }),
        onProblem: (message) => emit({ kind: 'feed-problem', message }),
      })
    }
    this.#leases = this.#options.leaseCache ? new LeaseCache(this.#client, { clock, freshMs: tokenCheckMs, onEvent: emit }) : undefined
    const handler = (request: IncomingMessage, response: ServerResponse) => void this.#handle(request, response)
    const { tls } = this.#options
    this.#server = tls ? createHttpsServer({ keepAlive: true, cert: tls.cert, key: tls.key }, handler) : createServer({ keepAlive: true }, handler)
  }

  /** Starts listening; resolves to the address to put in VAULT_ADDR. */
  async start(): Promise<string> {
    const { host, port, socketPath, tls } = this.#options
    if (socketPath) {
      // created with mode 0600 already (umask), so no other user can connect between listen and chmod
      const umask = process.umask(0o177)
      try {
        await new Promise<void>((resolve, reject) => this.#server.once('error', reject).listen(socketPath, resolve))
      } finally {
        process.umask(umask)
      }
      chmodSync(socketPath, 0o600)
      this.#address = `unix://${socketPath}`
    } else {
      await new Promise<void>((resolve, reject) => this.#server.once('error', reject).listen(port, host, resolve))
      const { address, port: bound } = this.#server.address() as AddressInfo
      this.#address = `${tls ? 'https' : 'http'}://${address.includes(':') ? `[${address}]` : address}:${bound}`
    }
    await this.#restore()
    this.#scheduleSave()
    this.#cache?.start()
    await this.#feed?.start()
    return this.#address
  }

  async stop(): Promise<void> {
    this.#cancelSave?.()
    this.#cancelSave = undefined
    // a cache that cannot be saved is said, and the proxy still stops
    await this.#persist().catch((error: Error) => this.#emit({ kind: 'save-failed', message: `saving the proxy cache failed: ${error.message}` }))
    this.#cache?.stop()
    this.#leases?.stop()
    this.#feed?.stop()
    this.#server.closeAllConnections()
    await new Promise((resolve) => this.#server.close(resolve))
    this.#agent.destroy()
    this.#client.close()
  }

  /** Loads what the last run kept: cached answers (bodies as base64), token proofs and leases. */
  async #restore(): Promise<void> {
    const persistence = this.#options.persistence
    if (!persistence) return
    const loaded = await persistence.cache.load(() => persistence.token())
    const { cache } = persistence
    this.#persistence = { file: cache.file, persistent: cache.model !== 'memory', ...(loaded.problem ? { problem: loaded.problem } : {}) }
    this.#emit({ kind: 'restored', restored: loaded.restored, ...this.#persistence })
    const kept = (prefix: string) => cache.withPrefix<Record<string, unknown>>(prefix)
    this.#cache?.restore({
      entries: kept('static:').map(([key, entry]) => [key, { ...(entry as unknown as CachedResponse), body: Buffer.from(entry.body as string, 'base64') }]),
      tokens: kept('token:').map(([, record]) => ({ ...(record as unknown as TokenRecord), readable: new Map(record.readable as [string, string][]) })),
    })
    this.#leases?.restore(kept('lease:').map(([key, entry]) => [key, { ...(entry as unknown as LeaseCacheEntry), body: Buffer.from(entry.body as string, 'base64') }]))
  }

  #scheduleSave(): void {
    const persistence = this.#options.persistence
    if (!persistence) return
    this.#cancelSave = this.#options.clock.schedule(() => {
      this.#persist()
        .catch((error: Error) => this.#emit({ kind: 'save-failed', message: `saving the proxy cache failed: ${error.message}` }))
        .finally(() => this.#cancelSave && this.#scheduleSave())
    }, persistence.saveIntervalMs ?? 60_000)
  }

  /** Writes both caches, sealed; tokens are keyed by their hash, their value only inside the sealed record. */
  async #persist(): Promise<void> {
    const persistence = this.#options.persistence
    if (!persistence) return
    const { cache } = persistence
    for (const key of cache.keys()) cache.delete(key)
    const snapshot = this.#cache?.snapshot()
    for (const [key, entry] of snapshot?.entries ?? []) cache.set(`static:${key}`, { ...entry, body: entry.body.toString('base64') })
    for (const record of snapshot?.tokens ?? []) cache.set(`token:${createHash('sha256').update(record.token).digest('hex')}`, { ...record, readable: [...record.readable] })
    for (const [key, entry] of this.#leases?.snapshot() ?? []) cache.set(`lease:${key}`, { ...entry, body: entry.body.toString('base64') })
    await cache.save(await persistence.token())
  }

  /** Re-checks every cached token's capabilities now, as the refresh interval does. */
  refreshCapabilities(): Promise<void> {
    return this.#cache?.refreshCapabilities() ?? Promise.resolve()
  }

  /** The proxy's metrics in Prometheus' text format. */
  metrics(): Promise<string> {
    return this.#options.registry.metrics()
  }

  /** The address to put in VAULT_ADDR, once started. */
  get address(): string {
    return this.#address
  }

  /** What the Proxy view shows: the counts so far and how many answers are cached now. */
  stats(): ProxyCounts & { entries: number; freshness?: ChangeFeedStatus; persistence?: { file: string; persistent: boolean; problem?: string } } {
    const freshness = this.#feed?.status
    const persistence = this.#persistence
    return { ...this.#counter.snapshot(), entries: (this.#cache?.size ?? 0) + (this.#leases?.size ?? 0), ...(freshness ? { freshness } : {}), ...(persistence ? { persistence } : {}) }
  }

  /** Empties both caches, as Vault Proxy's cache-clear of type "all"; returns how many entries went. */
  clear(): number {
    const cleared = (this.#cache?.size ?? 0) + (this.#leases?.clear() ?? 0)
    this.#cache?.clear()
    return cleared
  }

  /** Every event is counted in the metrics and handed to the UI's listener. */
  #emit(event: ProxyEvent): void {
    this.#count(event)
    this.#counter.count(event)
    this.#options.onEvent(event)
  }

  #count(event: ProxyEvent): void {
    const m = this.#metrics
    if (event.kind === 'request') this.#requestCounter(event.method, `${Math.floor(event.status / 100)}xx`, event.cache ?? 'none').inc()
    else if (event.kind === 'evicted') m.evictions.inc({ reason: event.cause })
    else if (event.kind === 'capabilities-refreshed') {
      m.capabilityRefreshes.inc()
      m.capabilitiesRemoved.inc(event.removed)
    } else if (event.kind === 'capability-removed') m.capabilitiesRemoved.inc()
    else if (event.kind === 'upstream-error') m.upstreamErrors.inc()
  }

  /** The labelled counter of one kind of request, made once: prom-client would hash the labels at every request. */
  #requestCounter(method: string, status: string, cache: string) {
    const key = `${method} ${status} ${cache}`
    let counter = this.#requestCounters.get(key)
    if (!counter) this.#requestCounters.set(key, (counter = this.#metrics.requests.labels({ method, status, cache })))
    return counter
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now()
    const url = new URL(request.url ?? '/', 'http://proxy')
    const method = request.method ?? 'GET'
    const apiPath = url.pathname.startsWith('/v1/') ? url.pathname.slice(4) : ''
    const done = (status: number, cache?: 'HIT' | 'MISS') =>
      this.#emit({ kind: 'request', method, path: apiPath || url.pathname, status, ...(cache ? { cache } : {}), ms: performance.now() - started })

    const refused = this.#refusedCaller(request)
    if (refused) {
      request.resume()
      return done(this.#reply(response, 403, refused))
    }
    const own = header(request, 'x-vault-token') ?? bearerToken(request)
    if (CACHE_CLEAR_PATHS.has(url.pathname) || METRICS_PATHS.has(url.pathname)) return done(await this.#ownEndpoint(request, response, url.pathname, method, own))
    const auto = this.#options.autoAuth
    const token = auto && (!own || auto.useAutoAuthToken === 'force') ? await this.#lendToken(request, auto.token) : own
    const namespace = trimSlashes(header(request, 'x-vault-namespace') ?? '')

    const declared = Number(request.headers['content-length'] ?? 0)
    if (declared > this.#options.maxBodyBytes) {
      request.resume()
      return done(this.#reply(response, 413, `request body of ${declared} bytes exceeds the proxy's limit of ${this.#options.maxBodyBytes}`))
    }

    // a request the caches may answer: with a token, on a path as Vault reads it, and nothing else Vault decides on
    const cacheable = Boolean(token && apiPath && isCanonical(request.url ?? '', url) && onlyNeutralHeaders(request))
    const kv = cacheable && this.#cache && !apiPath.startsWith('sys/') && !apiPath.startsWith('auth/') ? this.#kvTarget(namespace, apiPath, token!) : undefined
    const target = kv instanceof Promise ? await kv : kv
    const isList = method === 'LIST' || url.searchParams.get('list') === 'true'
    const onlyVersionQuery = [...url.searchParams.keys()].every((key) => key === 'version')

    if (target && token && method === 'GET' && !isList && target.cacheableRead && onlyVersionQuery && url.searchParams.getAll('version').length <= 1) {
      const version = url.searchParams.get('version') ?? undefined
      const found = this.#cache!.lookup(token, namespace, apiPath, version)
      const hit = found instanceof Promise ? await found : found
      if (hit) {
        const age = Math.floor((this.#options.clock.now() - hit.storedAt) / 1000)
        response.writeHead(hit.status, { ...hit.headers, 'x-cache': 'HIT', age: String(age), 'content-length': String(hit.body.length) })
        response.end(hit.body)
        return done(hit.status, 'HIT')
      }
      const answer = await this.#forward(request, response, url, { buffer: true, extraHeaders: { 'x-cache': 'MISS' } })
      if (answer?.status === 200 && answer.body && !isWrapped(answer.body)) {
        // a secret no feed watches (KV v1, a namespace) is kept no longer than a polling round would take to see a change
        const watched = this.#watch(namespace, target, token)
        this.#cache!.store(token, namespace, apiPath, version, { status: 200, headers: answer.headers, body: answer.body }, watched ? undefined : this.#options.pollIntervalMs)
      } else if (answer?.status === 403) this.#cache!.forbid(token, namespace, apiPath)
      return done(answer?.status ?? 502, 'MISS')
    }

    const leaseCandidate = cacheable && this.#leases && !target && !isList && LEASE_METHODS.has(method) && !apiPath.startsWith('sys/')
    const needsBody = leaseCandidate || REVOCATIONS_WITH_BODY.has(apiPath)
    const body = needsBody ? await readLimited(request, this.#options.maxBodyBytes) : undefined
    if (body === 'too large') return done(this.#reply(response, 413, `request body exceeds the proxy's limit of ${this.#options.maxBodyBytes} bytes`))

    if (leaseCandidate && body && token) {
      const key = LeaseCache.keyOf(token, namespace, method, url.pathname + url.search, body)
      const need: Need = method === 'GET' ? 'read' : 'write'
      const hit = await this.#leaseHit(key, token, namespace, apiPath, need)
      if (hit) {
        response.writeHead(hit.status, { ...hit.headers, 'x-cache': 'HIT', age: String(Math.floor((this.#options.clock.now() - hit.storedAt) / 1000)), 'content-length': String(hit.body.length) })
        response.end(hit.body)
        return done(hit.status, 'HIT')
      }
      const answer = await this.#forward(request, response, url, { buffer: true, body, extraHeaders: { 'x-cache': 'MISS' } })
      const lease = answer?.status === 200 && answer.body && !isWrapped(answer.body) ? leaseOf(answer.body) : undefined
      if (answer?.body && lease) {
        this.#leases!.store(key, token, { status: answer.status, headers: answer.headers, body: answer.body }, lease)
        this.#capabilities.confirm(token, namespace, apiPath, need)
      } else if (answer && answer.status < 400) this.#afterChange(method, apiPath, token, namespace, target, body)
      return done(answer?.status ?? 502, 'MISS')
    }

    const answer = await this.#forward(request, response, url, { buffer: false, body })
    if (answer && answer.status < 400) this.#afterChange(method, apiPath, token, namespace, target, body)
    done(answer?.status ?? 502)
  }

  /** A cached lease for this exact request, while its lease is alive and Vault still lets this token make it. */
  async #leaseHit(key: string, token: string, namespace: string, apiPath: string, need: Need): Promise<LeaseCacheEntry | undefined> {
    const found = this.#leases!.get(key)
    const entry = found instanceof Promise ? await found : found
    if (!entry) return undefined
    const allowed = this.#capabilities.allows(token, namespace, apiPath, need)
    return (typeof allowed === 'boolean' ? allowed : await allowed) ? entry : undefined
  }

  /**
   * Requests from a web page are refused: a browser sends Origin with every cross-site or scripted request, and
   * after DNS rebinding a page's requests carry its own host name. Vault's CLI and SDKs send neither.
   */
  #refusedCaller(request: IncomingMessage): string | undefined {
    const origin = header(request, 'origin')
    if (origin !== undefined) return `vault-tray proxy: requests from web pages are refused (Origin: ${origin.slice(0, 100)}). Use the Vault CLI or an SDK with VAULT_ADDR=${this.#address}.`
    if (this.#options.socketPath) return undefined
    const host = header(request, 'host') ?? ''
    const port = this.#address.slice(this.#address.lastIndexOf(':') + 1)
    if (!['127.0.0.1', 'localhost', '[::1]'].some((name) => host === `${name}:${port}`)) {
      return `vault-tray proxy: the Host header "${host.slice(0, 100)}" is not this proxy's address (${this.#address}); requests for other names are refused.`
    }
    return undefined
  }

  /** cache-clear and metrics: for a token whose policy grants them on PROXY_POLICY_PATHS, as Vault decides. */
  async #ownEndpoint(request: IncomingMessage, response: ServerResponse, pathname: string, method: string, token: string | undefined): Promise<number> {
    const clearing = CACHE_CLEAR_PATHS.has(pathname)
    if (method !== (clearing ? 'POST' : 'GET')) {
      request.resume()
      return this.#reply(response, 405, `${pathname} accepts ${clearing ? 'POST' : 'GET'} only`)
    }
    const path = clearing ? PROXY_POLICY_PATHS.cacheClear : PROXY_POLICY_PATHS.metrics
    const need: Need = clearing ? 'write' : 'read'
    let allowed = false
    let why = 'no token was sent (X-Vault-Token)'
    if (token) {
      try {
        allowed = permits((await capabilitiesSelf(this.#client, token, [path]))[path] ?? [], need)
        why = `the token's policies do not grant "${need === 'read' ? 'read' : 'update'}" on ${path}`
      } catch (error) {
        why = error instanceof VaultError ? `Vault refused to say what the token may do (${error.status})` : `Vault could not be asked (${(error as Error).message})`
      }
    }
    if (!allowed) {
      request.resume()
      return this.#reply(response, 403, `vault-tray proxy: ${pathname} is refused: ${why}.`)
    }
    if (clearing) return this.#clear(request, response)
    response.writeHead(200, { 'content-type': this.#options.registry.contentType })
    response.end(await this.metrics())
    return 200
  }

  /** A change through the proxy evicts at once: a KV write its secret, a revocation its leases or token. */
  #afterChange(method: string, apiPath: string, token: string | undefined, namespace: string, target: KvTarget | undefined, body: Buffer | undefined): void {
    if (target && WRITES.has(method)) this.#cache!.evict(namespace, target.cachedPath, 'write-through-proxy')
    const sent = parseJson<{ lease_id?: string; token?: string }>(body) ?? {}
    if (apiPath === 'auth/token/revoke-self' && token) {
      this.#cache?.forgetToken(token)
      this.#leases?.evictToken(token, 'token revoked through the proxy')
    } else if (apiPath === 'auth/token/revoke' && sent.token) {
      this.#cache?.forgetToken(sent.token)
      this.#leases?.evictToken(sent.token, 'token revoked through the proxy')
    } else if (apiPath === 'sys/leases/revoke' && sent.lease_id) this.#leases?.evictLease(sent.lease_id, 'revoked through the proxy')
    else {
      const revoked = apiPath.match(/^sys\/(?:leases\/)?revoke(?:-prefix)?\/(.+)$/)?.[1]
      if (revoked) this.#leases?.evictLease(revoked, 'revoked through the proxy')
    }
  }

  /** Auto-auth: the engine's token goes on the request in place of whatever it carried. */
  async #lendToken(request: IncomingMessage, engineToken: () => Promise<string>): Promise<string> {
    const token = await engineToken()
    request.headers['x-vault-token'] = token
    delete request.headers.authorization
    return token
  }

  /** Vault Proxy's cache-clear endpoint: {type: all | token | lease | request_path, value, namespace}. */
  async #clear(request: IncomingMessage, response: ServerResponse): Promise<number> {
    let body: { type?: string; value?: string; namespace?: string }
    try {
      body = JSON.parse((await text(request)) || '{}') as typeof body
    } catch {
      return this.#reply(response, 400, 'cache-clear: the body is not JSON')
    }
    const namespace = trimSlashes(body.namespace ?? '')
    let cleared: number
    if (body.type === 'all') cleared = this.clear()
    else if (body.type === 'token' && body.value) cleared = (this.#cache?.forgetToken(body.value) ? 1 : 0) + (this.#leases?.evictToken(body.value, 'cleared by request') ?? 0)
    else if (body.type === 'lease' && body.value) cleared = this.#leases?.evictLease(body.value, 'cleared by request') ?? 0
    else if (body.type === 'request_path' && body.value) cleared = this.#cache?.evictPrefix(namespace, body.value.replace(/^\/?(v1\/)?/, ''), 'cleared') ?? 0
    else return this.#reply(response, 400, 'cache-clear: "type" must be all, token, lease or request_path, with a "value" for all but the first')
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ cleared }))
    return 200
  }

  /** Synchronous once the mount is known, so a cache hit never waits on a promise it does not need. */
  #kvTarget(namespace: string, apiPath: string, token: string): KvTarget | undefined | Promise<KvTarget | undefined> {
    const known = this.#mounts.known(namespace, apiPath)
    if (!known) return this.#mounts.resolve(namespace, apiPath, token).then((mount) => mount && this.#targetIn(mount, apiPath))
    return this.#targetIn(known, apiPath)
  }

  #targetIn(mount: MountKind, apiPath: string): KvTarget | undefined {
    if (mount.kind !== 'kv') return undefined
    const secret = kvSecretOf(mount, apiPath)
    if (!secret) return undefined
    // every operation on a KV v2 secret concerns the cached `data/` path
    const cachedPath = mount.version === 2 ? `${mount.path}data/${secret.secret}` : `${mount.path}${secret.secret}`
    return { mount, secret: secret.secret, cacheableRead: secret.cacheableRead, cachedPath }
  }

  /**
   * KV v2 secrets are watched for changes made elsewhere (events, or metadata polling with a token that read them).
   * KV v1 ones hear events only, so they are also kept no longer than a polling round: false says so.
   */
  #watch(namespace: string, kv: KvTarget, token: string): boolean {
    if (!this.#feed || namespace) return false
    const key = kv.cachedPath
    if (!this.#watching.has(key)) {
      this.#watching.add(key)
      this.#feed.watch(kv.mount.path, kv.secret, () => this.#cache!.evict(namespace, kv.cachedPath, 'changed-in-vault'), async () => token, kv.mount.version === 2 ? 2 : 1)
    }
    return kv.mount.version === 2
  }

  /**
   * Sends the request upstream unchanged and the answer back as Vault wrote it. With `buffer`, the body is
   * also returned (small KV answers, to be cached); otherwise it streams through.
   */
  #forward(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    options: { buffer: boolean; extraHeaders?: Record<string, string>; body?: Buffer },
  ): Promise<{ status: number; headers: Record<string, string>; body?: Buffer } | undefined> {
    const upstream = new URL(url.pathname + url.search, this.#options.upstream.address)
    const headers: Record<string, string | string[]> = {}
    for (const [name, value] of Object.entries(request.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value
    const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest
    return new Promise((resolve) => {
      let received = 0
      const stopTimer = this.#metrics.upstreamSeconds.startTimer({ method: request.method ?? 'GET' })
      const outgoing = send(upstream, { method: request.method, headers, agent: this.#agent }, (answer) => {
        stopTimer()
        const status = answer.statusCode ?? 502
        const answerHeaders: Record<string, string> = {}
        for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) answerHeaders[name] = Array.isArray(value) ? value.join(', ') : value
        if (!options.buffer) {
          response.writeHead(status, { ...answerHeaders, ...options.extraHeaders })
          answer.pipe(response)
          answer.on('end', () => resolve({ status, headers: answerHeaders }))
          return
        }
        const chunks: Buffer[] = []
        answer.on('data', (chunk: Buffer) => chunks.push(chunk))
        answer.on('end', () => {
          const body = Buffer.concat(chunks)
          response.writeHead(status, { ...answerHeaders, ...options.extraHeaders, 'content-length': String(body.length) })
          response.end(body)
          resolve({ status, headers: answerHeaders, body })
        })
      })
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        const message = `vault-tray proxy: the upstream Vault at ${this.#options.upstream.address} could not be reached (${error.code ?? error.message}). Check that it is running, or the proxy's upstream address.`
        this.#emit({ kind: 'upstream-error', path: url.pathname, message })
        if (!response.headersSent) this.#reply(response, 502, message)
        else response.destroy()
        resolve(undefined)
      })
      if (options.body) return void outgoing.end(options.body)
      request.on('data', (chunk: Buffer) => {
        received += chunk.length
        if (received > this.#options.maxBodyBytes) {
          outgoing.destroy()
          if (!response.headersSent) this.#reply(response, 413, `request body exceeds the proxy's limit of ${this.#options.maxBodyBytes} bytes`)
          request.destroy()
        }
      })
      request.pipe(outgoing)
    })
  }

  /** An answer of the proxy's own, in Vault's error format so every client shows it. */
  #reply(response: ServerResponse, status: number, message: string): number {
    const body = JSON.stringify({ errors: [message] })
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    response.end(body)
    return status
  }
}

function parseJson<T>(body: Buffer | undefined): T | undefined {
  try {
    return body?.length ? (JSON.parse(body.toString('utf8')) as T) : undefined
  } catch {
    return undefined
  }
}

/** The whole request body, or 'too large' past the limit (the rest is then discarded). */
async function readLimited(request: IncomingMessage, limit: number): Promise<Buffer | 'too large'> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) {
      request.resume()
      return 'too large'
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/** Vault reads `Authorization: Bearer <token>` with exactly that prefix, and ignores any other form. */
function bearerToken(request: IncomingMessage): string | undefined {
  const value = header(request, 'authorization')
  return value?.startsWith('Bearer ') ? value.slice(7).trim() : undefined
}

/** The path as sent is the path as parsed: no dot segments, doubled slashes or escapes that Vault might read otherwise. */
function isCanonical(raw: string, url: URL): boolean {
  const path = raw.split('?')[0] ?? ''
  return path === url.pathname && !path.includes('//') && !path.includes('%') && !path.endsWith('/')
}

function onlyNeutralHeaders(request: IncomingMessage): boolean {
  return Object.keys(request.headers).every((name) => !name.startsWith('x-vault-') || CACHE_NEUTRAL_HEADERS.has(name))
}

/** A response-wrapped answer holds a single-use wrapping token: never kept. */
function isWrapped(body: Buffer): boolean {
  return Boolean(parseJson<{ wrap_info?: unknown }>(body)?.wrap_info)
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}
