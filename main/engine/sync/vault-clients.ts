// The Vault clients the reconcilers use, behind one method: a client per VaultConnection and a token per
// (VaultAuth, consuming namespace), as VSO's client factory keys them. One key never logs in twice at once;
// a 403 taints the token so the next use logs in again; a changed spec (generation) makes a new key. With a
// token store (the encrypted client cache), a token kept by the last run is taken up again before any login.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { KubeConfig } from '@kubernetes/client-node'
import type { Clock } from '../clock.ts'
import { isNotFound, type KubeApi } from '../kube/api.ts'
import { requestServiceAccountToken } from '../kube/service-account-token.ts'
import type { AuthConfig } from '../vault/auth.ts'
import { VaultClient } from '../vault/client.ts'
import { TokenManager } from '../vault/token-manager.ts'
import type { VaultToken } from '../vault/auth.ts'
import { DEFAULTS, type VaultAuth, type VaultConnection } from './api.ts'
import { parseDuration } from './duration.ts'
import { FieldError } from './refs.ts'

export interface VaultAccess {
  client: VaultClient
  /** A live token, logging in first if needed. */
  token(): Promise<string>
  /** status.vaultClientMeta: which auth configuration and which token synced the resource. */
  meta(): { cacheKey: string; id: string }
  /** The token was refused (403): log in again on next use. */
  taint(): void
  method: string
  /** The VaultConnection as `namespace/name`, for metrics and messages. */
  connection: string
  /** How the address is reached from this laptop, for the UI and logs. */
  route: string
}

/** Where a VaultConnection's address is reached from the laptop (direct, mapped, or a port-forward). */
export type AddressResolver = (address: string) => Promise<{ address: string; how: string; tlsServerName?: string }>

const direct: AddressResolver = async (address) => ({ address, how: 'direct' })

interface TokenEntry {
  tokens: TokenManager
  cacheKey: string
  /** Settles once a kept token was tried (resumed, or found dead); until then no login starts. */
  resumed: Promise<void> | undefined
}

/** Where tokens outlive a run: the encrypted client cache (sync/token-cache.ts). */
export interface TokenStore {
  kept(cacheKey: string): VaultToken | undefined
  keep(cacheKey: string, token: VaultToken | undefined): void
}

export class VaultClientFactory {
  readonly #clients = new Map<string, Promise<{ client: VaultClient; route: string }>>()
  readonly #tokens = new Map<string, TokenEntry>()

  constructor(
    private readonly kube: KubeApi,
    private readonly kubeConfig: KubeConfig,
    private readonly clock: Clock,
    private readonly resolveAddress: AddressResolver = direct,
    private readonly onLogin: (method: string, ok: boolean) => void = () => {},
    private readonly store: TokenStore | undefined = undefined,
  ) {}

  async get(connection: VaultConnection, auth: VaultAuth, consumerNamespace: string): Promise<VaultAccess> {
    const method = auth.spec.method ?? 'kubernetes'
    const { client, route } = await this.#client(connection, auth)
    const cacheKey = `${method}-${hash(connection.metadata.uid, connection.metadata.generation, auth.metadata.uid, auth.metadata.generation, consumerNamespace).slice(0, 22)}`
    let entry = this.#tokens.get(cacheKey)
    if (!entry) {
      const onChange = (token: VaultToken | undefined) => this.store?.keep(cacheKey, token)
      entry = { tokens: new TokenManager(client, this.#authConfig(auth, consumerNamespace), { clock: this.clock, onChange }), cacheKey, resumed: undefined }
      this.#tokens.set(cacheKey, entry)
    }
    const current = entry
    return {
      client,
      method,
      route,
      connection: `${connection.metadata.namespace}/${connection.metadata.name}`,
      token: async () => {
        try {
          await (current.resumed ??= this.#resume(current))
          const token = await current.tokens.token()
          if (token.method !== 'token') this.onLogin(method, true)
          return token.clientToken
        } catch (error) {
          this.onLogin(method, false)
          throw error
        }
      },
      meta: () => {
        const accessor = current.tokens.current()?.accessor
        return { cacheKey, id: accessor ? hash(accessor).slice(0, 16) : '' }
      },
      taint: () => {
        current.tokens.stop()
        this.store?.keep(cacheKey, undefined)
        if (this.#tokens.get(cacheKey) === current) this.#tokens.delete(cacheKey)
      },
    }
  }

  /** The token the last run kept for this key, if Vault still honours it; a dead one is dropped from the store. */
  async #resume(entry: TokenEntry): Promise<void> {
    const kept = this.store?.kept(entry.cacheKey)
    if (!kept || entry.tokens.current()) return
    try {
      if (!(await entry.tokens.resume(kept))) this.store?.keep(entry.cacheKey, undefined)
    } catch (error) {
      entry.resumed = undefined // Vault could not be asked: the kept token stays, and is tried again next time
      throw error
    }
  }

  /** Asks the connection's Vault for its seal status, as VSO checks a VaultConnection. */
  async checkConnection(connection: VaultConnection): Promise<{ sealed: boolean; route: string }> {
    const { client, route } = await this.#buildClient(connection, undefined)
    try {
      const status = await client.request<{ sealed: boolean }>({ method: 'GET', path: 'sys/seal-status' })
      return { sealed: status.sealed, route }
    } finally {
      client.close()
    }
  }

  close(): void {
    for (const entry of this.#tokens.values()) entry.tokens.stop()
    this.#tokens.clear()
    for (const pending of this.#clients.values()) void pending.then(({ client }) => client.close(), () => {})
    this.#clients.clear()
  }

  /** One connection pool per VaultConnection generation (and auth's Vault namespace and headers). */
  #client(connection: VaultConnection, auth: VaultAuth): Promise<{ client: VaultClient; route: string }> {
    const key = hash(connection.metadata.uid, connection.metadata.generation, auth.spec.namespace ?? '', JSON.stringify(auth.spec.headers ?? {}))
    let pending = this.#clients.get(key)
    if (!pending) {
      pending = this.#buildClient(connection, auth)
      this.#clients.set(key, pending)
      // a failure (a CA Secret not there yet) must not stick
      pending.catch(() => this.#clients.delete(key))
    }
    return pending
  }

  async #buildClient(connection: VaultConnection, auth: VaultAuth | undefined): Promise<{ client: VaultClient; route: string }> {
    const spec = connection.spec
    const { address, how, tlsServerName } = await this.resolveAddress(spec.address.replace(/\/+$/, ''))
    let caCert: string | undefined
    if (spec.caCertSecretRef) {
      const path = `/api/v1/namespaces/${connection.metadata.namespace}/secrets/${spec.caCertSecretRef}`
      try {
        const secret = await this.kube.get<{ data?: Record<string, string> }>(path)
        const pem = secret.data?.['ca.crt']
        if (!pem) throw new FieldError('spec.caCertSecretRef', `Secret ${connection.metadata.namespace}/${spec.caCertSecretRef} has no "ca.crt" key.`)
        caCert = Buffer.from(pem, 'base64').toString('utf8')
      } catch (error) {
        if (isNotFound(error)) throw new FieldError('spec.caCertSecretRef', `Secret ${connection.metadata.namespace}/${spec.caCertSecretRef} does not exist.`)
        throw error
      }
    } else if (spec.caCertPath) {
      try {
        caCert = await readFile(spec.caCertPath, 'utf8')
      } catch {
        throw new FieldError('spec.caCertPath', `${spec.caCertPath} is a path on the operator's pod and cannot be read on this machine: use caCertSecretRef instead.`)
      }
    }
    const client = new VaultClient(
      { address, caCert, caCertPath: spec.caCertPath, skipVerify: spec.skipTLSVerify ?? false, tlsServerName: spec.tlsServerName ?? tlsServerName, namespace: auth?.spec.namespace },
      { headers: { ...spec.headers, ...auth?.spec.headers }, timeoutMs: spec.timeout ? parseDuration(spec.timeout, 'spec.timeout') : undefined },
    )
    return { client, route: how }
  }

  #authConfig(auth: VaultAuth, consumerNamespace: string): AuthConfig {
    const { spec } = auth
    const method = spec.method ?? 'kubernetes'
    const mount = spec.mount
    switch (method) {
      case 'kubernetes': {
        const kubernetes = spec.kubernetes
        if (!kubernetes?.role || !kubernetes.serviceAccount) throw new FieldError('spec.kubernetes', 'method kubernetes needs kubernetes.role and kubernetes.serviceAccount.')
        const request = { namespace: consumerNamespace, serviceAccount: kubernetes.serviceAccount, audiences: kubernetes.audiences ?? [], expirationSeconds: kubernetes.tokenExpirationSeconds ?? DEFAULTS.tokenExpirationSeconds }
        return { method: 'kubernetes', mount, role: kubernetes.role, jwt: () => requestServiceAccountToken(this.kubeConfig, request) }
      }
      case 'jwt': {
        const jwt = spec.jwt
        if (!jwt?.role) throw new FieldError('spec.jwt.role', 'method jwt needs a role.')
        if (jwt.secretRef) return { method: 'jwt', mount, role: jwt.role, jwt: () => this.#secretKey(consumerNamespace, jwt.secretRef!, 'jwt', 'spec.jwt.secretRef') }
        if (!jwt.serviceAccount) throw new FieldError('spec.jwt', 'method jwt needs jwt.secretRef or jwt.serviceAccount.')
        const request = { namespace: consumerNamespace, serviceAccount: jwt.serviceAccount, audiences: jwt.audiences ?? [], expirationSeconds: jwt.tokenExpirationSeconds ?? DEFAULTS.tokenExpirationSeconds }
        return { method: 'jwt', mount, role: jwt.role, jwt: () => requestServiceAccountToken(this.kubeConfig, request) }
      }
      case 'appRole': {
        const appRole = spec.appRole
        if (!appRole?.roleId || !appRole.secretRef) throw new FieldError('spec.appRole', 'method appRole needs appRole.roleId and appRole.secretRef.')
        // the secret ID is read at each login, so a rotated Secret is picked up
        return { method: 'approle', mount, roleId: appRole.roleId, secretId: () => this.#secretKey(consumerNamespace, appRole.secretRef, 'id', 'spec.appRole.secretRef') }
      }
      default:
        throw new FieldError('spec.method', `method ${method} is not supported by Vault Tray yet: use kubernetes, jwt or appRole.`)
    }
  }

  async #secretKey(namespace: string, name: string, key: string, field: string): Promise<string> {
    try {
      const secret = await this.kube.get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${namespace}/secrets/${name}`)
      const value = secret.data?.[key]
      if (!value) throw new FieldError(field, `Secret ${namespace}/${name} has no "${key}" key.`)
      return Buffer.from(value, 'base64').toString('utf8')
    } catch (error) {
      if (isNotFound(error)) throw new FieldError(field, `Secret ${namespace}/${name} does not exist.`)
      throw error
    }
  }
}

function hash(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex')
}
