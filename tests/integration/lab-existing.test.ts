// The one-click lab on servers the user already runs (--vault-addr, --context, --postgres): it creates what is
// missing, uses what fits, and `lab down` removes exactly what it created — the user's own mounts, policies,
// namespaces and database roles stay, and so do the servers. These servers are this test's own, not the test lab's;
// the Vault is an OpenBao in one run and a HashiCorp Vault in the other.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { KubeApi } from '../../main/engine/kube/api.ts'
import { postgresBinDir } from '../../main/engine/lab/binaries.ts'
import { labDown, labUp, type LabOptions } from '../../main/engine/lab/lab.ts'
import { TUTORIAL } from '../../main/engine/lab/tutorial.ts'
import type { RunningServer } from '../lab/process.ts'
import { startEtcd, startKubeApiserver, type KubeInfo } from '../lab/servers/kube.ts'
import { startOpenBao, startVault, type OpenBaoInfo } from '../lab/servers/openbao.ts'
import { startPostgres, type PostgresInfo } from '../lab/servers/postgres.ts'
import { useTestKeychain } from './lab-helpers.ts'

/** The user's own Vault: a dev server of each kind. */
const OWN_SERVERS = [
  { name: 'OpenBao', start: (runDir: string, signal: AbortSignal) => startOpenBao(inject('lab').binaries.bao, runDir, 30_000, signal) },
  { name: 'Vault', start: (runDir: string, signal: AbortSignal) => startVault(inject('lab').binaries.vault, runDir, 30_000, signal) },
]

function suite(own: (typeof OWN_SERVERS)[number]): void {
  const runDir = mkdtempSync(join(tmpdir(), 'vault-tray-users-servers-'))
  const dir = mkdtempSync(join(tmpdir(), 'vault-tray-lab-existing-'))
  const servers: RunningServer[] = []
  let vault: OpenBaoInfo
  let kube: KubeInfo
  let postgres: PostgresInfo
  let options: LabOptions

  const call = async <T = unknown>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${vault.address}/v1/${path}`, { method, headers: { 'X-Vault-Token': vault.rootToken }, body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await response.text()
    if (!response.ok && response.status !== 404) throw new Error(`${method} ${path}: ${response.status} ${text}`)
    return (text ? JSON.parse(text) : undefined) as T
  }
  const sql = async <T extends pg.QueryResultRow>(query: string) => {
    const client = new pg.Client({ host: postgres.host, port: postgres.port, user: postgres.user, password: postgres.password, database: 'postgres' })
    await client.connect()
    try {
      return (await client.query<T>(query)).rows
    } finally {
      await client.end()
    }
  }
  let api: KubeApi
  const exists = async (path: string) => api.get<{ metadata: { deletionTimestamp?: string } }>(path).then((object) => !object.metadata.deletionTimestamp, () => false)

  beforeAll(async () => {
    useTestKeychain()
    const { etcd, kubeApiserver } = inject('lab').binaries
    const signal = new AbortController().signal
    const started = await Promise.all([
      own.start(runDir, signal),
      startEtcd(etcd, runDir, 30_000, signal).then(async (store) => ({ store, apiserver: await startKubeApiserver(kubeApiserver, store.clientUrl, runDir, 90_000, signal) })),
      startPostgres(postgresBinDir()!, runDir, 30_000, signal),
    ])
    vault = started[0].info
    kube = started[1].apiserver.info
    postgres = started[2].info
    servers.push(started[0].server, started[1].store.server, started[1].apiserver.server, started[2].server)
    const config = new KubeConfig()
    config.loadFromFile(kube.kubeconfig)
    api = new KubeApi(config)

    // what the user had before the lab: a mount and a policy, a transit engine, two namespaces (one the tutorial's), a database role
    await call('POST', 'sys/mounts/keep-kv', { type: 'kv', options: { version: '2' } })
    await call('PUT', 'sys/policies/acl/keep-policy', { policy: 'path "keep-kv/data/*" { capabilities = ["read"] }' })
    await call('POST', 'sys/mounts/transit', { type: 'transit' })
    await api.create('/api/v1/namespaces', { metadata: { name: 'keep-me' } })
    await api.create('/api/v1/namespaces', { metadata: { name: TUTORIAL.vaultNamespace } })
    await sql('CREATE ROLE keep_role LOGIN')

    options = {
      dir,
      vaultAddr: vault.address,
      vaultToken: vault.rootToken,
      context: 'lab',
      env: { ...process.env, KUBECONFIG: kube.kubeconfig },
      postgres: `postgresql://${postgres.user}@${postgres.host}:${postgres.port}/postgres`,
      postgresPassword: postgres.password,
    }
  }, 120_000)

  afterAll(async () => {
    api?.close()
    await labDown(options).catch(() => {})
    await Promise.all(servers.map((server) => server.stop()))
    rmSync(runDir, { recursive: true, force: true })
    rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  describe('the lab on servers the user runs', () => {
    it('sets up the tutorial in them, and `up` again changes nothing', async () => {
      const first = await labUp(options)
      expect(first.ok, JSON.stringify(first.outcomes, null, 1)).toBe(true)
      expect(first.vaultAddress).toBe(vault.address)
      expect(first.kubeconfig).toBe(kube.kubeconfig)
      // it used what fitted: the user's transit engine and namespace, not new ones
      const changes = first.outcomes.flatMap((outcome) => (outcome.kind === 'done' ? outcome.changes : []))
      expect(changes).toContain('created transit key vso-client-cache')
      expect(changes).not.toContain('enabled the transit secrets engine at transit/')
      expect(changes).not.toContain('created Namespace vault')
      const secret = await api.get<{ data: Record<string, string> }>(`/api/v1/namespaces/${TUTORIAL.dynamic.namespace}/secrets/${TUTORIAL.dynamic.destination}`)
      const username = Buffer.from(secret.data.username!, 'base64').toString()
      expect((await sql<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-%'")).map((row) => row.rolname)).toEqual([username])
      // nothing of the user's servers is kept by the lab: not their token, not their PostgreSQL password
      const state = readFileSync(join(dir, 'state.json'), 'utf8')
      expect(state).not.toContain(vault.rootToken)
      expect(state).not.toContain(postgres.password)

      const again = await labUp(options)
      expect(again.ok).toBe(true)
      expect(again.changed).toBe(false)
    }, 120_000)

    it('`lab down` removes what the lab created there and nothing else, and leaves the servers running', async () => {
      const down = await labDown(options)
      expect(down.problems).toEqual([])
      expect(down.actions).toContain(`revoked the database credentials Vault issued (database/creds/${TUTORIAL.dynamic.databaseRole}), dropping their PostgreSQL users`)

      // Vault: the lab's mounts, auth method, policies and transit key are gone; the user's mount, policy and transit engine stay
      const mounts = (await call<{ data: Record<string, unknown> }>('GET', 'sys/mounts')).data
      expect(Object.keys(mounts)).toEqual(expect.arrayContaining(['keep-kv/', 'transit/']))
      expect(Object.keys(mounts)).not.toEqual(expect.arrayContaining(['static/']))
      expect(Object.keys(mounts)).not.toContain('database/')
      expect(Object.keys((await call<{ data: Record<string, unknown> }>('GET', 'sys/auth')).data)).not.toContain('kubernetes/')
      const policies = (await call<{ data: { keys: string[] } }>('LIST', 'sys/policies/acl')).data.keys
      expect(policies).toContain('keep-policy')
      for (const policy of [TUTORIAL.static.policy, TUTORIAL.dynamic.policy, TUTORIAL.transit.policy]) expect(policies).not.toContain(policy)
      expect(await call('GET', `transit/keys/${TUTORIAL.transit.key}`)).toMatchObject({ errors: [] })

      // Kubernetes: the lab's namespaces are being deleted (a bare apiserver has no controller to finish that), the user's stay
      for (const namespace of [TUTORIAL.static.namespace, TUTORIAL.dynamic.namespace, TUTORIAL.operator.namespace]) expect(await exists(`/api/v1/namespaces/${namespace}`)).toBe(false)
      expect(await exists('/api/v1/namespaces/keep-me')).toBe(true)
      expect(await exists(`/api/v1/namespaces/${TUTORIAL.vaultNamespace}`)).toBe(true)
      expect(await exists(`/api/v1/namespaces/${TUTORIAL.vaultNamespace}/serviceaccounts/${TUTORIAL.reviewerServiceAccount}`)).toBe(false)
      expect(await exists(`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${TUTORIAL.reviewerBinding}`)).toBe(false)
      expect(await exists('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/vaultconnections.secrets.hashicorp.com')).toBe(false)

      // PostgreSQL: no user of Vault's is left, the user's role is
      expect(await sql("SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-%'")).toEqual([])
      expect(await sql("SELECT rolname FROM pg_roles WHERE rolname = 'keep_role'")).toEqual([{ rolname: 'keep_role' }])

      for (const server of servers) expect(() => process.kill(server.pid, 0)).not.toThrow()
    }, 120_000)
  })
}

for (const own of OWN_SERVERS) describe(own.name, () => suite(own))
