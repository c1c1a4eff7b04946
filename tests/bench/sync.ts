// Benchmark of the sync engine against the real lab (OpenBao, kube-apiserver + etcd):
//   1. 1,000 VaultStaticSecrets (each its own KV v2 secret) already in the cluster when the engine starts: time
//      until every destination Secret exists, requests to Vault and to the apiserver per resource, resident memory;
//   2. propagation of a KV write to the destination Secret, p50 and p95, by polling (instant updates on a Vault
//      without an event stream) — and by events where the server has them (OpenBao has none).
// Run: npm run bench:sync   (BENCH_RESOURCES, BENCH_WRITES)
import { KubeConfig } from '@kubernetes/client-node'
import { installCrds } from '../../main/engine/kube/crds.ts'
import { KubeApi } from '../../main/engine/kube/api.ts'
import { API_VERSION } from '../../main/engine/sync/api.ts'
import { SyncEngine } from '../../main/engine/sync/sync-engine.ts'
import { createLogger } from '../../main/engine/telemetry/log.ts'
import { VaultClient } from '../../main/engine/vault/client.ts'
import { startLab } from '../lab/lab.ts'

const RESOURCES = Number(process.env.BENCH_RESOURCES ?? 1_000)
const WRITES = Number(process.env.BENCH_WRITES ?? 30)
const POLL_MS = 1_000

const lab = await startLab()
const { openbao, kube } = lab.info
const vault = new VaultClient({ address: openbao.address, skipVerify: false })
const bao = (method: 'POST' | 'PUT' | 'GET', path: string, body?: unknown) => vault.request({ method, path, token: openbao.rootToken, body })
const config = new KubeConfig()
config.loadFromFile(kube.kubeconfig)
const api = new KubeApi(config)
const namespace = 'bench'

try {
  await installCrds(config)
  await api.create('/api/v1/namespaces', { metadata: { name: namespace } })
  await bao('POST', 'sys/mounts/kv', { type: 'kv', options: { version: '2' } })
  await bao('PUT', 'sys/policies/acl/bench', { policy: 'path "kv/data/*" { capabilities = ["read"] }' })
  await bao('POST', 'sys/auth/approle', { type: 'approle' })
  await bao('POST', 'auth/approle/role/bench', { token_policies: ['bench'], token_ttl: '1h' })
  const { data: role } = (await bao('GET', 'auth/approle/role/bench/role-id')) as { data: { role_id: string } }
  const { data: secretId } = (await bao('POST', 'auth/approle/role/bench/secret-id')) as { data: { secret_id: string } }
  await api.create(`/api/v1/namespaces/${namespace}/secrets`, { metadata: { name: 'approle' }, data: { id: Buffer.from(secretId.secret_id).toString('base64') } })
  await api.create(`/apis/${API_VERSION}/namespaces/${namespace}/vaultconnections`, { apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: 'conn', namespace }, spec: { address: openbao.address } })
  await api.create(`/apis/${API_VERSION}/namespaces/${namespace}/vaultauths`, { apiVersion: API_VERSION, kind: 'VaultAuth', metadata: { name: 'default', namespace }, spec: { vaultConnectionRef: 'conn', method: 'appRole', mount: 'approle', appRole: { roleId: role.role_id, secretRef: 'approle' } } })

  const resource = (index: number, instant = false) => ({
    apiVersion: API_VERSION,
    kind: 'VaultStaticSecret',
    metadata: { name: `app-${index}`, namespace },
    spec: { type: 'kv-v2', mount: 'kv', path: `app-${index}`, vaultAuthRef: 'default', destination: { name: `app-${index}`, create: true }, syncConfig: { instantUpdates: instant } },
  })
  const inParallel = async (count: number, each: (index: number) => Promise<unknown>) => {
    let next = 0
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < count) await each(next++)
    }))
  }
  await inParallel(RESOURCES, (index) => bao('POST', `kv/data/app-${index}`, { data: { username: `user-${index}`, password: `password-${index}` } }))
  await inParallel(RESOURCES, (index) => api.create(`/apis/${API_VERSION}/namespaces/${namespace}/vaultstaticsecrets`, resource(index)))

  // 1. a cold start with RESOURCES waiting
  const rssBefore = process.memoryUsage().rss
  const started = performance.now()
  const engine = new SyncEngine({ kubeConfig: config, namespaces: [namespace], mode: 'write', log: createLogger({ level: 'silent' }), instantPollMs: POLL_MS })
  const vaultRequests = () => engine.registry.getSingleMetric('vso_client_operations_total')!.get().then((metric) => metric.values.reduce((sum, value) => sum + value.value, 0))
  await engine.start()
  const watcher = new KubeApi(config)
  for (;;) {
    const { items } = await watcher.get<{ items: unknown[] }>(`/api/v1/namespaces/${namespace}/secrets`, { labelSelector: 'app.kubernetes.io/component=secret-sync' })
    if (items.length >= RESOURCES) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const allSyncedMs = performance.now() - started
  await engine.whenIdle()
  const rssAfter = process.memoryUsage().rss
  const kubeRequests = engine.kube.stats.requests
  const vaultReads = await vaultRequests()
  console.log(`${RESOURCES} VaultStaticSecrets: every destination Secret existed after ${(allSyncedMs / 1000).toFixed(2)} s (engine start included)`)
  console.log(`  apiserver requests per resource: ${(kubeRequests / RESOURCES).toFixed(2)} (${kubeRequests} in all, lists and watches not counted)`)
  console.log(`  Vault requests per resource: ${(vaultReads / RESOURCES).toFixed(2)} reads, plus 1 login in all`)
  console.log(`  resident memory: ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, ${(rssAfter / 2 ** 20).toFixed(0)} MiB after (${((rssAfter - rssBefore) / 2 ** 20).toFixed(0)} MiB for ${RESOURCES} resources)`)

  // 2. propagation by polling: one resource with instant updates
  await api.patch(`/apis/${API_VERSION}/namespaces/${namespace}/vaultstaticsecrets/app-0`, { spec: { syncConfig: { instantUpdates: true } } })
  await engine.whenIdle()
  const delays: number[] = []
  for (let write = 0; write < WRITES; write++) {
    // a random pause, so writes do not fall in step with the polling
    await new Promise((resolve) => setTimeout(resolve, Math.random() * POLL_MS))
    const password = `changed-${write}`
    const wrote = performance.now()
    await bao('POST', 'kv/data/app-0', { data: { username: 'user-0', password } })
    for (;;) {
      const secret = await watcher.get<{ data: Record<string, string> }>(`/api/v1/namespaces/${namespace}/secrets/app-0`)
      if (Buffer.from(secret.data.password ?? '', 'base64').toString() === password) break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    delays.push(performance.now() - wrote)
  }
  delays.sort((a, b) => a - b)
  const percentile = (p: number) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))]!
  console.log(`propagation KV write → destination Secret, polling every ${POLL_MS / 1000}s (${WRITES} writes): p50 ${percentile(50).toFixed(0)} ms, p95 ${percentile(95).toFixed(0)} ms`)
  console.log(`propagation by Vault events: not measured, OpenBao ${(await bao('GET', 'sys/health') as { version: string }).version} has no event stream`)
  await engine.stop()
  watcher.close()
} finally {
  api.close()
  vault.close()
  await lab.stop()
}
