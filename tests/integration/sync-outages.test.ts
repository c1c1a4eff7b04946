// What the engine does when the world changes under it, each against servers of its own so the shared lab is not
// disturbed: a Vault that is sealed and unsealed and a token that is revoked (on OpenBao and on Vault), an
// apiserver that restarts mid-watch, and a cluster where the Vault Secrets Operator itself runs (it then observes).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { installCrds } from '../../main/engine/kube/crds.ts'
import { KubeApi } from '../../main/engine/kube/api.ts'
import { detectOperator } from '../../main/engine/kube/vso-detect.ts'
import { API_VERSION } from '../../main/engine/sync/api.ts'
import { resourceKey, SyncEngine } from '../../main/engine/sync/sync-engine.ts'
import { createLogger } from '../../main/engine/telemetry/log.ts'
import { startOpenBao, startVault } from '../lab/servers/openbao.ts'
import { startEtcd, startKubeApiserver } from '../lab/servers/kube.ts'
import { bao, lab, unique } from './helpers.ts'
import { apply, createNamespace, ensureCrds, eventually, readSecret, startEngine } from './sync-helpers.ts'

/** Root calls to a Vault other than the lab's. */
function vaultAt(address: string, token: string) {
  return async <T = unknown>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${address}/v1/${path}`, { method, headers: { 'X-Vault-Token': token, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await response.text()
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`)
    return (text ? JSON.parse(text) : undefined) as T
  }
}

/** KV v2 `kv/app` readable through an AppRole; its secret ID goes into a Kubernetes Secret as VSO expects. */
async function appRoleSetup(vault: ReturnType<typeof vaultAt>, api: KubeApi, namespace: string, address: string) {
  await vault('POST', 'sys/mounts/kv', { type: 'kv', options: { version: '2' } })
  await vault('POST', 'kv/data/app', { data: { password: 'before' } })
  await vault('PUT', 'sys/policies/acl/app', { policy: 'path "kv/data/app" { capabilities = ["read"] }' })
  await vault('POST', 'sys/auth/approle', { type: 'approle' })
  await vault('POST', 'auth/approle/role/app', { token_policies: ['app'], token_ttl: '1h' })
  const { data: role } = await vault<{ data: { role_id: string } }>('GET', 'auth/approle/role/app/role-id')
  const { data: secret } = await vault<{ data: { secret_id: string } }>('POST', 'auth/approle/role/app/secret-id')
  await api.create(`/api/v1/namespaces/${namespace}/secrets`, { metadata: { name: 'approle' }, data: { id: Buffer.from(secret.secret_id).toString('base64') } })
  await api.create(`/apis/${API_VERSION}/namespaces/${namespace}/vaultconnections`, { apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: 'conn', namespace }, spec: { address } })
  await api.create(`/apis/${API_VERSION}/namespaces/${namespace}/vaultauths`, { apiVersion: API_VERSION, kind: 'VaultAuth', metadata: { name: 'auth', namespace }, spec: { vaultConnectionRef: 'conn', method: 'appRole', mount: 'approle', appRole: { roleId: role.role_id, secretRef: 'approle' } } })
}

const staticSecret = (name: string, namespace: string) => ({
  apiVersion: API_VERSION,
  kind: 'VaultStaticSecret',
  metadata: { name, namespace },
  spec: { type: 'kv-v2', mount: 'kv', path: 'app', vaultAuthRef: 'auth', destination: { name, create: true } },
})

/** A dev server of each kind, of this suite's own: it is sealed and its tokens revoked. */
const OWN_SERVERS = [
  { name: 'OpenBao', start: (runDir: string, signal: AbortSignal) => startOpenBao(lab.binaries.bao, runDir, 30_000, signal) },
  { name: 'Vault', start: (runDir: string, signal: AbortSignal) => startVault(lab.binaries.vault, runDir, 30_000, signal) },
]

for (const own of OWN_SERVERS) describe(`${own.name}: a Vault that is sealed, and a token that is revoked`, () => {
  const runDir = mkdtempSync(join(tmpdir(), 'vault-tray-sync-outage-'))
  let server: Awaited<ReturnType<typeof startOpenBao>>
  let engine: SyncEngine
  let vault: ReturnType<typeof vaultAt>
  let namespace: string

  beforeAll(async () => {
    await ensureCrds()
    server = await own.start(runDir, new AbortController().signal)
    vault = vaultAt(server.info.address, server.info.rootToken)
    namespace = await createNamespace(unique('outage'))
    await appRoleSetup(vault, new KubeApi(engineConfig()), namespace, server.info.address)
    await apply(staticSecret('app', namespace))
    engine = (await startEngine([namespace])).engine
    await eventually(async () => (await readSecret(namespace, 'app'))?.password === 'before', 'the first sync')
  })

  afterAll(async () => {
    await engine?.stop()
    await server?.server.stop()
    rmSync(runDir, { recursive: true, force: true })
  })

  it('while sealed: says so, keeps the Secret as it was, and turns healthy again once unsealed', async () => {
    const key = resourceKey('VaultStaticSecret', namespace, 'app')
    await vault('PUT', 'sys/seal')
    engine.syncNow(key)
    const failing = await eventually(async () => (engine.record(key)?.state === 'failing' ? engine.record(key) : undefined), 'the sealed Vault to be reported')
    expect(failing!.diagnosis).toMatchObject({ cause: 'Vault is sealed.', fix: expect.stringContaining('Unseal it') })
    expect(await readSecret(namespace, 'app')).toMatchObject({ password: 'before' })

    await fetch(`${server.info.address}/v1/sys/unseal`, { method: 'PUT', body: JSON.stringify({ key: server.info.unsealKey }) })
    engine.syncNow(key)
    await eventually(async () => engine.record(key)?.state === 'synced', 'synced again after the unseal')
    // nothing changed in Vault, yet the condition is True again
    const status = await eventually(async () => {
      const found = await new KubeApi(engineConfig()).get<{ status?: { conditions?: { type: string; status: string }[] } }>(`/apis/${API_VERSION}/namespaces/${namespace}/vaultstaticsecrets/app`)
      return found.status?.conditions?.find((condition) => condition.type === 'SecretSynced' && condition.status === 'True')
    }, 'SecretSynced True')
    expect(status).toBeTruthy()
  })

  it('after its token is revoked: logs in again and syncs the change', async () => {
    await vault('PUT', 'sys/leases/revoke-prefix/auth/approle')
    await vault('POST', 'kv/data/app', { data: { password: 'after' } })
    engine.syncNow(resourceKey('VaultStaticSecret', namespace, 'app'))
    await eventually(async () => (await readSecret(namespace, 'app'))?.password === 'after', 'the change synced with a new token', 30_000)
  })
})

function engineConfig(): KubeConfig {
  const config = new KubeConfig()
  config.loadFromFile(lab.kube.kubeconfig)
  return config
}

describe('an apiserver that restarts mid-watch', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'vault-tray-sync-apiserver-'))
  const signal = new AbortController().signal
  let etcd: Awaited<ReturnType<typeof startEtcd>>
  let apiserver: Awaited<ReturnType<typeof startKubeApiserver>>
  let engine: SyncEngine
  let api: KubeApi
  const namespace = 'restart'
  const mount = unique('approle')
  const resource = (name: string) => ({ ...staticSecret(name, namespace), spec: { ...staticSecret(name, namespace).spec, mount } })

  beforeAll(async () => {
    etcd = await startEtcd(lab.binaries.etcd, runDir, 30_000, signal)
    apiserver = await startKubeApiserver(lab.binaries.kubeApiserver, etcd.clientUrl, runDir, 90_000, signal)
    const config = new KubeConfig()
    config.loadFromFile(apiserver.info.kubeconfig)
    await installCrds(config)
    api = new KubeApi(config)
    await api.create('/api/v1/namespaces', { metadata: { name: namespace } })
    // Vault (the lab's) reaches no cluster here: AppRole needs none
    await bao('POST', `sys/mounts/${mount}`, { type: 'kv', options: { version: '2' } })
    await bao('POST', `${mount}/data/app`, { data: { password: 'one' } })
    await bao('PUT', `sys/policies/acl/${mount}`, { policy: `path "${mount}/data/app" { capabilities = ["read"] }` })
    await bao('POST', `sys/auth/${mount}`, { type: 'approle' })
    await bao('POST', `auth/${mount}/role/app`, { token_policies: [mount], token_ttl: '1h' })
    const { data: role } = await bao<{ data: { role_id: string } }>('GET', `auth/${mount}/role/app/role-id`)
    const { data: secret } = await bao<{ data: { secret_id: string } }>('POST', `auth/${mount}/role/app/secret-id`)
    await api.create(`/api/v1/namespaces/${namespace}/secrets`, { metadata: { name: 'approle' }, data: { id: Buffer.from(secret.secret_id).toString('base64') } })
    await api.create(`/apis/${API_VERSION}/namespaces/${namespace}/vaultconnections`, { apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: 'conn', namespace }, spec: { address: lab.openbao.address } })
    await api.create(`/apis/${API_VERSION}/namespaces/${namespace}/vaultauths`, { apiVersion: API_VERSION, kind: 'VaultAuth', metadata: { name: 'auth', namespace }, spec: { vaultConnectionRef: 'conn', method: 'appRole', mount, appRole: { roleId: role.role_id, secretRef: 'approle' } } })
    await api.create(`/apis/${API_VERSION}/namespaces/${namespace}/vaultstaticsecrets`, resource('first'))
    engine = new SyncEngine({ kubeConfig: config, namespaces: [namespace], mode: 'write', log: createLogger({ level: 'silent' }) })
    await engine.start()
    await eventually(async () => (await api.get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${namespace}/secrets/first`)).data?.password, 'the first sync')
  }, 120_000)

  afterAll(async () => {
    await engine?.stop()
    await apiserver?.server.stop()
    await etcd?.server.stop()
    rmSync(runDir, { recursive: true, force: true })
  })

  it('resumes the watch and misses no change made while it was away', { timeout: 120_000 }, async () => {
    const port = Number(new URL(apiserver.info.server).port)
    await apiserver.server.stop()
    apiserver = await startKubeApiserver(lab.binaries.kubeApiserver, etcd.clientUrl, runDir, 90_000, signal, { port })
    // made before the engine's watch is back: it must still be seen
    await api.create(`/apis/${API_VERSION}/namespaces/${namespace}/vaultstaticsecrets`, resource('second'))
    const second = await eventually(async () => (await api.get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${namespace}/secrets/second`).catch(() => undefined))?.data?.password, 'the resource created after the restart to sync', 60_000)
    expect(Buffer.from(second, 'base64').toString()).toBe('one')
  })

  it('only observes while VSO runs in the cluster, and syncs a namespace the user opts in', async () => {
    const operator = 'vault-secrets-operator'
    await api.create('/api/v1/namespaces', { metadata: { name: operator } }).catch(() => {})
    await api.create(`/apis/apps/v1/namespaces/${operator}/deployments`, {
      metadata: { name: 'vault-secrets-operator-controller-manager', labels: { 'control-plane': 'controller-manager' } },
      spec: { selector: { matchLabels: { 'control-plane': 'controller-manager' } }, template: { metadata: { labels: { 'control-plane': 'controller-manager' } }, spec: { containers: [{ name: 'manager', image: 'hashicorp/vault-secrets-operator:1.6.0' }] } } },
    })
    await api.create(`/apis/coordination.k8s.io/v1/namespaces/${operator}/leases`, {
      metadata: { name: 'b0d477c0.hashicorp.com' },
      spec: { holderIdentity: 'vault-secrets-operator-controller-manager-7f9c_1', leaseDurationSeconds: 15, renewTime: new Date().toISOString().replace('Z', '000Z') },
    })
    await engine.stop() // the writing engine of the earlier tests steps aside, before it could sync the new resource
    await api.create(`/apis/${API_VERSION}/namespaces/${namespace}/vaultstaticsecrets`, resource('observed'))
    const config = new KubeConfig()
    config.loadFromFile(apiserver.info.kubeconfig)
    const observer = new SyncEngine({ kubeConfig: config, namespaces: [namespace], mode: 'auto', detectOperator, log: createLogger({ level: 'silent' }) })
    try {
      await observer.start()
      expect(observer.mode).toBe('observe')
      const record = await eventually(async () => observer.record(resourceKey('VaultStaticSecret', namespace, 'observed')), 'the record of the observed resource')
      expect(record).toMatchObject({ state: 'observed', message: expect.stringContaining('observing only (VSO runs in this cluster)') })
      await observer.whenIdle()
      const status = await api.get<{ status?: unknown }>(`/apis/${API_VERSION}/namespaces/${namespace}/vaultstaticsecrets/observed`)
      expect(status.status).toBeUndefined()
      expect(await api.get(`/api/v1/namespaces/${namespace}/secrets/observed`).catch((error: { status: number }) => error.status)).toBe(404)
    } finally {
      await observer.stop()
    }

    const optedIn = new SyncEngine({ kubeConfig: config, namespaces: [namespace], mode: 'auto', optInNamespaces: [namespace], detectOperator, log: createLogger({ level: 'silent' }) })
    try {
      await optedIn.start()
      expect(optedIn.mode).toBe('observe')
      await eventually(async () => (await api.get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${namespace}/secrets/observed`).catch(() => undefined))?.data, 'the opted-in namespace to sync')
    } finally {
      await optedIn.stop()
    }
  })
})
