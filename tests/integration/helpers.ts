// Shared by the integration tests: reach the lab's servers as their administrator.
import { randomBytes } from 'node:crypto'
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node'
import pg from 'pg'
import { inject } from 'vitest'
import { systemClock } from '../../main/engine/clock.ts'
import { VaultClient } from '../../main/engine/vault/client.ts'

export const lab = inject('lab')
export const clock = systemClock

/** A name no other test uses, for mounts, namespaces and roles. */
export const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`

export function vaultClient(options: ConstructorParameters<typeof VaultClient>[1] = {}, server: { address: string } = lab.openbao): VaultClient {
  return new VaultClient({ address: server.address, skipVerify: false }, options)
}

/** One of the lab's two Vault servers, reached as its administrator (root token). */
export interface VaultServer {
  name: 'OpenBao' | 'Vault'
  address: string
  rootToken: string
  unsealKey: string
  /** Its CLI (`bao` or `vault`), for tests that run it. */
  cli: string
  /** A call with the root token; throws on any non-2xx answer. */
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T>
}

function vaultServer(name: VaultServer['name'], info: typeof lab.openbao, cli: string): VaultServer {
  return {
    name,
    ...info,
    cli,
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await fetch(`${info.address}/v1/${path}`, {
        method,
        headers: { 'X-Vault-Token': info.rootToken, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const text = await response.text()
      if (!response.ok) throw new Error(`${name}: ${method} ${path}: ${response.status} ${text}`)
      return (text ? JSON.parse(text) : undefined) as T
    },
  }
}

export const OPENBAO = vaultServer('OpenBao', lab.openbao, lab.binaries.bao)
export const VAULT = vaultServer('Vault', lab.vault, lab.binaries.vault)
/** The suites that talk to Vault run once per server: `for (const server of VAULT_SERVERS) describe(server.name, …)`. */
export const VAULT_SERVERS: readonly VaultServer[] = [OPENBAO, VAULT]

/** A call to the lab's OpenBao with its root token; throws on any non-2xx answer. */
export const bao = <T = unknown>(method: string, path: string, body?: unknown): Promise<T> => OPENBAO.call<T>(method, path, body)

/** A token with just these policies (HCL bodies), for tests that need less than root. */
export async function tokenWithPolicy(name: string, policy: string, options: Record<string, unknown> = {}, server: VaultServer = OPENBAO): Promise<string> {
  await server.call('PUT', `sys/policies/acl/${name}`, { policy })
  const { auth } = await server.call<{ auth: { client_token: string } }>('POST', 'auth/token/create', { policies: [name], ttl: '10m', ...options })
  return auth.client_token
}

export function kubeAdmin() {
  const config = new KubeConfig()
  config.loadFromFile(lab.kube.kubeconfig)
  return { config, core: config.makeApiClient(CoreV1Api), rbac: config.makeApiClient(RbacAuthorizationV1Api) }
}

/** A namespace with the given ServiceAccounts, as a standalone apiserver has no controllers to make them. */
export async function namespaceWithServiceAccounts(...names: string[]): Promise<string> {
  const { core } = kubeAdmin()
  const namespace = unique('ns')
  await core.createNamespace({ body: { metadata: { name: namespace } } })
  for (const name of names) await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } })
  return namespace
}

/** Lets a ServiceAccount call TokenReview, as Vault's kubernetes auth reviewer must. */
export async function grantTokenReview(namespace: string, serviceAccount: string): Promise<void> {
  await kubeAdmin()
    .rbac.createClusterRoleBinding({
      body: {
        metadata: { name: `${namespace}-${serviceAccount}-token-review` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
        subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
      },
    })
    // granted already (a suite run once per server): the binding is the same
    .catch((error: { code?: number }) => {
      if (error.code !== 409) throw error
    })
}

/** A database secrets engine on the lab's PostgreSQL with a role `app`; returns the creds path. */
export async function databaseRole(ttls: { default_ttl: string; max_ttl: string }, server: VaultServer = OPENBAO): Promise<string> {
  const mount = unique('database')
  await server.call('POST', `sys/mounts/${mount}`, { type: 'database' })
  await server.call('POST', `${mount}/config/postgres`, {
    plugin_name: 'postgresql-database-plugin',
    connection_url: `postgresql://{{username}}:{{password}}@${lab.postgres.host}:${lab.postgres.port}/postgres?sslmode=disable`,
    username: lab.postgres.user,
    password: lab.postgres.password,
    allowed_roles: ['app'],
  })
  await server.call('POST', `${mount}/roles/app`, {
    db_name: 'postgres',
    creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`],
    ...ttls,
  })
  return `${mount}/creds/app`
}

/** Whether PostgreSQL accepts these credentials, as an application would find out. */
export async function canLogIn(data: Record<string, unknown>): Promise<boolean> {
  const connection = new pg.Client({ host: lab.postgres.host, port: lab.postgres.port, database: 'postgres', user: String(data.username), password: String(data.password) })
  try {
    await connection.connect()
    return true
  } catch {
    return false
  } finally {
    await connection.end().catch(() => {})
  }
}

/** How many login roles PostgreSQL has: each set of database credentials Vault issues is one more. */
export async function postgresRoleCount(): Promise<number> {
  const connection = new pg.Client({ host: lab.postgres.host, port: lab.postgres.port, database: 'postgres', user: lab.postgres.user, password: lab.postgres.password })
  await connection.connect()
  try {
    const { rows } = await connection.query<{ count: string }>("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'v-%'")
    return Number(rows[0]!.count)
  } finally {
    await connection.end()
  }
}

/** The helpers that reach a Vault server, bound to one of the two: `const { vaultClient } = on(server)`. */
export function on(server: VaultServer) {
  return {
    vaultClient: (options: ConstructorParameters<typeof VaultClient>[1] = {}) => vaultClient(options, server),
    tokenWithPolicy: (name: string, policy: string, options: Record<string, unknown> = {}) => tokenWithPolicy(name, policy, options, server),
    databaseRole: (ttls: { default_ttl: string; max_ttl: string }) => databaseRole(ttls, server),
  }
}
