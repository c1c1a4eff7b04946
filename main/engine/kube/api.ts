// A lean client for the request-heavy part of syncing (get, create, patch, delete), over one keep-alive pool per
// context. client-node's generated clients open a new TLS connection per request, which measured 7× slower for a
// burst of 1,000 Secret reads; they are still used for watches, where one request lives for minutes.
import { Agent as HttpAgent, request as httpRequest, type RequestOptions } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { text } from 'node:stream/consumers'
import type { KubeConfig } from '@kubernetes/client-node'

export type PatchType = 'merge' | 'strategic' | 'apply'

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
}

/** An apiserver answer that was not a success, or a transport failure (status 0). */
export class KubeError extends Error {
  constructor(
    readonly status: number,
    /** The Status reason (NotFound, AlreadyExists, Conflict, Forbidden, Invalid…), or the transport error code. */
    readonly reason: string,
    readonly path: string,
    message: string,
  ) {
    super(message)
    this.name = 'KubeError'
  }
}

export const isNotFound = (error: unknown) => error instanceof KubeError && error.status === 404
export const isConflict = (error: unknown) => error instanceof KubeError && error.status === 409

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  patch?: PatchType
}

/** The field manager of every write we make, so managedFields tell our writes from anyone else's. */
export const FIELD_MANAGER = 'vault-tray'

export class KubeApi {
  readonly context: string
  readonly server: string
  #agent: HttpAgent | HttpsAgent | undefined
  #agentKey = ''
  /** Counts requests, for the benchmark's requests-per-resource figure and the apiserver-failure metric. */
  readonly stats = { requests: 0, failures: 0 }

  constructor(readonly config: KubeConfig) {
    this.context = config.getCurrentContext()
    this.server = config.getCurrentCluster()?.server ?? ''
    if (!this.server) throw new Error(`kube-context "${this.context}" names no cluster with a server. Check your kubeconfig.`)
  }

  async request<T>(request: KubeRequest): Promise<T> {
    const url = new URL(this.server.replace(/\/+$/, '') + request.path)
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value))
    if (request.method !== 'GET' && request.method !== 'DELETE' && !url.searchParams.has('fieldManager')) url.searchParams.set('fieldManager', FIELD_MANAGER)
    const options = await this.#options()
    const body = request.body === undefined ? undefined : JSON.stringify(request.body)
    const headers: Record<string, string> = { ...(options.headers as Record<string, string>), Accept: 'application/json' }
    if (body !== undefined) headers['Content-Type'] = request.patch ? PATCH_CONTENT_TYPES[request.patch] : 'application/json'
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    this.stats.requests++
    return new Promise<T>((resolve, reject) => {
      const req = send(url, { method: request.method, headers, agent: options.agent, auth: options.auth, timeout: 30_000 }, (response) => {
        text(response).then((body) => {
          const status = response.statusCode ?? 0
          if (status >= 200 && status < 300) return resolve((body ? JSON.parse(body) : undefined) as T)
          this.stats.failures++
          reject(this.#httpError(request, status, body))
        }, reject)
      })
      req.on('timeout', () => req.destroy(Object.assign(new Error('no answer within 30 s'), { code: 'ETIMEDOUT' })))
      req.on('error', (error: NodeJS.ErrnoException) => {
        this.stats.failures++
        reject(new KubeError(0, error.code ?? 'ERROR', request.path, `The apiserver of kube-context "${this.context}" (${this.server}) could not be reached: ${error.message}. Is the cluster running?`))
      })
      req.end(body)
    })
  }

  get<T>(path: string, query?: KubeRequest['query']): Promise<T> {
    return this.request<T>({ method: 'GET', path, query })
  }

  create<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>({ method: 'POST', path, body })
  }

  patch<T>(path: string, body: unknown, patch: PatchType = 'merge', query?: KubeRequest['query']): Promise<T> {
    return this.request<T>({ method: 'PATCH', path, body, patch, query })
  }

  delete(path: string): Promise<unknown> {
    return this.request({ method: 'DELETE', path })
  }

  close(): void {
    this.#agent?.destroy()
  }

  /** Credentials are applied per request (an exec plugin's token expires); the pool is kept while the TLS identity is the same. */
  async #options(): Promise<RequestOptions> {
    const options: RequestOptions & { ca?: unknown; cert?: unknown; key?: unknown; rejectUnauthorized?: boolean; servername?: string } = {}
    await this.config.applyToHTTPSOptions(options as never)
    const key = `${String(options.ca)}|${String(options.cert)}|${String(options.key)}|${String(options.rejectUnauthorized)}`
    if (!this.#agent || key !== this.#agentKey) {
      this.#agent?.destroy()
      const pool = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16 }
      this.#agent = this.server.startsWith('https:')
        ? new HttpsAgent({ ...pool, ca: options.ca as string, cert: options.cert as string, key: options.key as string, rejectUnauthorized: options.rejectUnauthorized, servername: options.servername })
        : new HttpAgent(pool)
      this.#agentKey = key
    }
    return { headers: options.headers, auth: options.auth, agent: this.#agent }
  }

  #httpError(request: KubeRequest, status: number, text: string): KubeError {
    let reason = `HTTP${status}`
    let said = text.slice(0, 300)
    try {
      const parsed = JSON.parse(text) as { reason?: string; message?: string }
      reason = parsed.reason ?? reason
      said = parsed.message ?? said
    } catch {
      // not a Status object: something in front of the apiserver answered
    }
    const where = `${request.method} ${request.path} on kube-context "${this.context}"`
    return new KubeError(status, reason, request.path, `${where} failed (${status} ${reason}): ${said}`)
  }
}

