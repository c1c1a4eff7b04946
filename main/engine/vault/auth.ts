// Logging in to Vault with each supported auth method, and what a token looks like once we hold one.
import type { Clock } from '../clock.ts'
import type { VaultClient } from './client.ts'
import { trimSlashes } from './paths.ts'

export type AuthConfig =
  | { method: 'token'; token: string }
  /** `jwt` is asked for at each login: a fresh ServiceAccount token from TokenRequest, as VSO does. */
  | { method: 'kubernetes'; mount?: string; role: string; jwt: () => Promise<string> }
  | { method: 'jwt'; mount?: string; role: string; jwt: () => Promise<string> }
  /** `secretId` may be read at each login (a Kubernetes Secret that can rotate). */
  | { method: 'approle'; mount?: string; roleId: string; secretId?: string | (() => Promise<string>) }
  | { method: 'userpass'; mount?: string; username: string; password: string }

export type AuthMethod = AuthConfig['method']

export interface VaultToken {
  clientToken: string
  accessor: string
  policies: string[]
  renewable: boolean
  /** TTL granted at issue or at the last renewal; 0 means it never expires (a root token). */
  ttlSeconds: number
  /** Non-zero for a periodic token: each renewal gives it this TTL again, with no max TTL. */
  periodSeconds: number
  /** Epoch milliseconds; Infinity when ttlSeconds is 0. */
  expiresAt: number
  /** How it was obtained, so it can be obtained again. */
  method: AuthMethod
}

/** The `auth` block of a login or renew-self answer. */
export interface AuthResponse {
  client_token: string
  accessor: string
  policies: string[] | null
  token_policies?: string[] | null
  lease_duration: number
  renewable: boolean
  period?: number
}

const DEFAULT_MOUNTS: Record<Exclude<AuthMethod, 'token'>, string> = { kubernetes: 'kubernetes', jwt: 'jwt', approle: 'approle', userpass: 'userpass' }

export async function login(client: VaultClient, auth: AuthConfig, clock: Clock): Promise<VaultToken> {
  if (auth.method === 'token') return lookupSelf(client, auth.token, clock)
  const mount = trimSlashes(auth.mount ?? DEFAULT_MOUNTS[auth.method])
  let path: string
  let body: Record<string, string>
  switch (auth.method) {
    case 'kubernetes':
    case 'jwt':
      path = `auth/${mount}/login`
      body = { role: auth.role, jwt: await auth.jwt() }
      break
    case 'approle':
      path = `auth/${mount}/login`
      {
        const secretId = typeof auth.secretId === 'function' ? await auth.secretId() : auth.secretId
        body = secretId === undefined ? { role_id: auth.roleId } : { role_id: auth.roleId, secret_id: secretId }
      }
      break
    case 'userpass':
      path = `auth/${mount}/login/${encodeURIComponent(auth.username)}`
      body = { password: auth.password }
      break
  }
  const response = await client.request<{ auth: AuthResponse }>({ method: 'POST', path, body })
  return tokenFromAuth(response.auth, auth.method, clock)
}

export function tokenFromAuth(auth: AuthResponse, method: AuthMethod, clock: Clock): VaultToken {
  return {
    clientToken: auth.client_token,
    accessor: auth.accessor,
    policies: auth.token_policies ?? auth.policies ?? [],
    renewable: auth.renewable,
    ttlSeconds: auth.lease_duration,
    periodSeconds: auth.period ?? 0,
    expiresAt: auth.lease_duration > 0 ? clock.now() + auth.lease_duration * 1000 : Infinity,
    method,
  }
}

interface LookupSelf {
  accessor: string
  policies: string[]
  renewable: boolean
  ttl: number
  period?: number | null
}

/** Describes a token we were given (VAULT_TOKEN, the cache) as Vault sees it now; fails if it is no longer valid. */
export async function lookupSelf(client: VaultClient, token: string, clock: Clock, method: AuthMethod = 'token'): Promise<VaultToken> {
  const { data } = await client.request<{ data: LookupSelf }>({ method: 'GET', path: 'auth/token/lookup-self', token })
  return {
    clientToken: token,
    accessor: data.accessor,
    policies: data.policies,
    renewable: data.renewable,
    ttlSeconds: data.ttl,
    periodSeconds: data.period ?? 0,
    expiresAt: data.ttl > 0 ? clock.now() + data.ttl * 1000 : Infinity,
    method,
  }
}
