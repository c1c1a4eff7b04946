// One HTTP client for Vault and OpenBao: TLS as configured, keep-alive, timeouts, retries with backoff, and
// errors that say what went wrong and what to do without ever carrying a token or a secret value.
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import { text } from 'node:stream/consumers'
import type { VaultConnectionSettings } from './connection.ts'
import { withDefaults } from '../options.ts'

export type VaultMethod = 'GET' | 'LIST' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface VaultRequest {
  method: VaultMethod
  /** API path without the /v1/ prefix, e.g. `secret/data/app`. */
  path: string
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  /** The token to send; omit for unauthenticated endpoints (sys/health, logins). */
  token?: string
  headers?: Record<string, string>
}

export interface ClientOptions {
  /** Per-request time limit. */
  timeoutMs?: number
  /** Retries after the first attempt, as VAULT_MAX_RETRIES (default 2). */
  maxRetries?: number
  /** Extra headers sent on every request (VaultConnection `headers`). */
  headers?: Record<string, string>
  /** First backoff; doubled on each retry, with jitter. */
  backoffMs?: number
}

/** A Vault answer that was not a success, or a transport failure (status 0). */
export class VaultError extends Error {
  constructor(
    readonly status: number,
    /** Vault's own `errors` list, as it wrote them. */
    readonly errors: string[],
    /** The API path, so the user knows which call failed. */
    readonly path: string,
    message: string,
  ) {
    super(message)
    this.name = 'VaultError'
  }

  get isSealed(): boolean {
    return this.status === 503 && this.errors.some((error) => /sealed/i.test(error))
  }

  get isPermissionDenied(): boolean {
    return this.status === 403
  }
}

/** A keep-alive connection pool to this Vault, trusting what the settings say to trust. */
export function vaultAgent(settings: VaultConnectionSettings, pool: { maxSockets: number; maxFreeSockets: number }): HttpAgent | HttpsAgent {
  const options = { keepAlive: true, ...pool }
  if (!settings.address.startsWith('https:')) return new HttpAgent(options)
  return new HttpsAgent({ ...options, ca: settings.caCert, rejectUnauthorized: !settings.skipVerify, servername: settings.tlsServerName })
}

const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN'])

/**
 * Worth another try: a refused connection (nothing was sent), or for reads a dropped connection, a 412
 * (a performance standby not yet caught up) or a 5xx other than sealed. A write may already have been
 * applied when the error came back, so it is not repeated.
 */
function isRetryable(error: unknown, method: VaultMethod): boolean {
  if (!(error instanceof VaultError)) return false
  const isRead = method === 'GET' || method === 'LIST'
  if (error.status === 0) return error.errors[0] === 'ECONNREFUSED' || (isRead && RETRYABLE_CODES.has(error.errors[0] ?? ''))
  return isRead && (error.status === 412 || (error.status >= 500 && error.status !== 501 && !error.isSealed))
}

export class VaultClient {
  readonly address: string
  readonly #settings: VaultConnectionSettings
  readonly #options: Required<ClientOptions>
  readonly #agent: HttpAgent | HttpsAgent

  constructor(settings: VaultConnectionSettings, options: ClientOptions = {}) {
    this.#settings = settings
    this.address = settings.address
    this.#options = withDefaults({ timeoutMs: 30_000, maxRetries: 2, headers: {}, backoffMs: 250 }, options)
    // A bounded pool: a burst of requests (1,000 lease lookups at start-up) queues instead of opening a
    // socket each, which would also push file descriptors past 1024, where libdbus (the keychain) hangs in select().
    this.#agent = vaultAgent(settings, { maxSockets: 32, maxFreeSockets: 8 })
  }

  /** What a WebSocket to this Vault needs: the same TLS trust and headers as every request. */
  websocket(path: string, token: string): { url: string; options: { headers: Record<string, string>; ca?: string; rejectUnauthorized: boolean; servername?: string; handshakeTimeout: number } } {
    const url = new URL(`${this.address}/v1/${path.replace(/^\/+/, '')}`)
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    const headers: Record<string, string> = { ...this.#options.headers, 'X-Vault-Token': token }
    if (this.#settings.namespace) headers['X-Vault-Namespace'] = this.#settings.namespace
    const { caCert, skipVerify, tlsServerName } = this.#settings
    return { url: url.toString(), options: { headers, ca: caCert, rejectUnauthorized: !skipVerify, servername: tlsServerName, handshakeTimeout: this.#options.timeoutMs } }
  }

  /** Sends a request; resolves to the parsed JSON body, or undefined for 204. */
  async request<T = unknown>(request: VaultRequest): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#send<T>(request)
      } catch (error) {
        if (!isRetryable(error, request.method) || attempt >= this.#options.maxRetries) throw error
        const backoff = this.#options.backoffMs * 2 ** attempt
        await sleep(backoff / 2 + Math.random() * backoff)
      }
    }
  }

  close(): void {
    this.#agent.destroy()
  }

  #send<T>(request: VaultRequest, redirects = 0): Promise<T> {
    const url = new URL(`${this.address}/v1/${request.path.replace(/^\/+/, '')}`)
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value))
    // LIST is sent as GET ?list=true, which every Vault and proxy understands
    if (request.method === 'LIST') url.searchParams.set('list', 'true')
    const body = request.body === undefined ? undefined : JSON.stringify(request.body)
    const headers: Record<string, string> = { ...this.#options.headers, ...request.headers, 'X-Vault-Request': 'true' }
    if (request.token) headers['X-Vault-Token'] = request.token
    // a request may name its own namespace (a VaultStaticSecret's spec.namespace), else the connection's applies
    if (this.#settings.namespace && !headers['X-Vault-Namespace']) headers['X-Vault-Namespace'] = this.#settings.namespace
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest

    return new Promise<T>((resolve, reject) => {
      const req = send(url, { method: request.method === 'LIST' ? 'GET' : request.method, headers, agent: this.#agent, timeout: this.#options.timeoutMs }, (response) => {
        text(response).then((body) => {
          const status = response.statusCode ?? 0
          // a standby without request forwarding redirects to the active node
          if (status === 307 && response.headers.location && redirects < 3) {
            const active = new URL(response.headers.location)
            const client = new VaultClient({ ...this.#settings, address: active.origin }, this.#options)
            return client.#send<T>(request, redirects + 1).then(resolve, reject).finally(() => client.close())
          }
          if (status === 204 || (status >= 200 && status < 300 && body === '')) return resolve(undefined as T)
          if (status >= 200 && status < 300) return resolve(JSON.parse(body) as T)
          reject(this.#httpError(request, status, body))
        }, reject)
      })
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${this.#options.timeoutMs} ms`), { code: 'ETIMEDOUT' })))
      req.on('error', (error: NodeJS.ErrnoException) => reject(new VaultError(0, [error.code ?? 'ERROR'], request.path, explainConnectionError(this.#settings, error))))
      req.end(body)
    })
  }

  #httpError(request: VaultRequest, status: number, text: string): VaultError {
    let errors: string[] = []
    try {
      errors = ((JSON.parse(text) as { errors?: string[] }).errors ?? []).map(tidyError)
    } catch {
      // not JSON: a proxy or load balancer answered
    }
    const said = errors.length > 0 ? errors.join('; ') : `HTTP ${status}`
    const where = `${request.method} ${request.path} at ${this.address}`
    const hint =
      status === 503 && /sealed/i.test(said)
        ? ' Vault is sealed: unseal it (`vault operator unseal`), then try again.'
        : status === 403
          ? ' The token lacks a policy for this path, or has expired or been revoked: check its policies, or log in again.'
          : status === 404
            ? ' Check the mount and the path.'
            : status === 429
              ? ' Vault is rate-limiting this client: slow down, or raise the quota.'
              : ''
    return new VaultError(status, errors, request.path, `${where} failed (${status}): ${said}.${hint}`)
  }
}

/** Vault wraps Go multierrors as "1 error occurred:\n\t* permission denied\n\n"; keep the errors themselves. */
function tidyError(error: string): string {
  const items = [...error.matchAll(/^\t\* (.+)$/gm)].map((match) => match[1])
  return items.length > 0 ? items.join('; ') : error.trim()
}


export function explainConnectionError(settings: VaultConnectionSettings, error: NodeJS.ErrnoException): string {
  const where = `Vault at ${settings.address}`
  switch (error.code) {
    case 'ECONNREFUSED':
      return `${where} refused the connection: nothing listens there. Start Vault, or set VAULT_ADDR to its address.`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where} cannot be resolved (${error.code}). Check the host name in VAULT_ADDR.`
    case 'ETIMEDOUT':
      return `${where} did not answer (${error.message}). Check VAULT_ADDR and the network path to it.`
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return `${where} has a certificate this machine does not trust (${error.code}). Set VAULT_CACERT to its CA file${settings.caCertPath ? ` (now ${settings.caCertPath})` : ''}.`
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `${where} has a certificate for another name (${error.message}). Use the name in its certificate, or set VAULT_TLS_SERVER_NAME.`
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return `${where} did not speak TLS. If it serves plain HTTP, use http:// in VAULT_ADDR.`
    default:
      return `${where} could not be reached: ${error.message}`
  }
}
