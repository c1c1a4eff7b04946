// Benchmark of freshness: how long a KV write made straight to Vault takes to reach (1) an answer of the proxy and
// (2) the destination Secret of a VaultStaticSecret with instantUpdates, by Vault's event stream (HashiCorp Vault
// 1.14 with -experiment events.alpha1) and by polling (OpenBao, which has none), in one run on the test lab.
// BENCH_WRITES writes each (default 30), BENCH_POLL_MS the polling interval (default 1000).
// Run: npm run bench:events
import { KubeConfig } from '@kubernetes/client-node'
import { installCrds } from '../../main/engine/kube/crds.ts'
import { KubeApi } from '../../main/engine/kube/api.ts'
import { VaultProxy } from '../../main/engine/proxy/server.ts'
import { systemClock } from '../../main/engine/clock.ts'
import { API_VERSION } from '../../main/engine/sync/api.ts'
import { SyncEngine } from '../../main/engine/sync/sync-engine.ts'
import { createLogger } from '../../main/engine/telemetry/log.ts'
import { VaultClient } from '../../main/engine/vault/client.ts'
import { startLab } from '../lab/lab.ts'

const WRITES = Number(process.env.BENCH_WRITES ?? 30)
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 1_000)
const lab = await startLab()
const config = new KubeConfig()
config.loadFromFile(lab.info.kube.kubeconfig)
const api = new KubeApi(config)
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function percentiles(delays: number[]): string {
  const sorted = [...delays].sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
  return `p50 ${at(50).toFixed(0).padStart(5)} ms, p95 ${at(95).toFixed(0).padStart(5)} ms`
}

/** WRITES writes to a secret, each after a random pause (off the polling beat); how long until `arrived` sees it. */
async function propagation(write: (value: string) => Promise<unknown>, arrived: (value: string) => Promise<boolean>): Promise<number[]> {
  const delays: number[] = []
  for (let index = 0; index < WRITES; index++) {
    await pause(Math.random() * POLL_MS)
    const value = `v${index}-${Math.random().toString(36).slice(2)}`
    const wrote = performance.now()
    await write(value)
    while (!(await arrived(value))) await pause(5)
    delays.push(performance.now() - wrote)
  }
  return delays
}

async function measure(name: 'OpenBao' | 'Vault', server: { address: string; rootToken: string }): Promise<string[]> {
  const vault = new VaultClient({ address: server.address, skipVerify: false })
  const call = (method: 'POST' | 'PUT' | 'GET', path: string, body?: unknown) => vault.request({ method, path, token: server.rootToken, body })
  const namespace = `bench-${name.toLowerCase()}`
  const lines: string[] = []
  await call('POST', 'sys/mounts/kv', { type: 'kv', options: { version: '2' } })
  await call('POST', 'kv/data/app', { data: { password: 'first' } })

  // 1. the proxy: a reader's cached answer, evicted by the event or by the metadata poll
  const proxy = new VaultProxy({ upstream: { address: server.address, skipVerify: false }, clock: systemClock, pollIntervalMs: POLL_MS, eventsToken: async () => server.rootToken })
  const address = await proxy.start()
  const mode = proxy.stats().freshness?.mode
  const read = async () => ((await (await fetch(`${address}/v1/kv/data/app`, { headers: { 'X-Vault-Token': server.rootToken } })).json()) as { data: { data: { password: string } } }).data.data.password
  await read()
  const toProxy = await propagation((value) => call('POST', 'kv/data/app', { data: { password: value } }), async (value) => (await read()) === value)
  await proxy.stop()
  lines.push(`${name.padEnd(8)} proxy answer   by ${mode === 'events' ? 'events ' : 'polling'}: ${percentiles(toProxy)}`)

  // 2. the sync engine: a VaultStaticSecret with instantUpdates and refreshAfter at an hour
  await call('PUT', 'sys/policies/acl/bench', { policy: 'path "kv/data/*" { capabilities = ["read"] }\npath "kv/metadata/*" { capabilities = ["read"] }\npath "sys/events/subscribe/*" { capabilities = ["read"] }' })
  await call('POST', 'sys/auth/approle', { type: 'approle' })
  await call('POST', 'auth/approle/role/bench', { token_policies: ['bench'], token_ttl: '1h' })
  const { data: role } = (await call('GET', 'auth/approle/role/bench/role-id')) as { data: { role_id: string } }
  const { data: secretId } = (await call('POST', 'auth/approle/role/bench/secret-id')) as { data: { secret_id: string } }
  await api.create('/api/v1/namespaces', { metadata: { name: namespace } })
  await api.create(`/api/v1/namespaces/${namespace}/secrets`, { metadata: { name: 'approle' }, data: { id: Buffer.from(secretId.secret_id).toString('base64') } })
  await api.create(`/apis/${API_VERSION}/namespaces/${namespace}/vaultconnections`, { apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: 'conn', namespace }, spec: { address: server.address } })
  await api.create(`/apis/${API_VERSION}/namespaces/${namespace}/vaultauths`, { apiVersion: API_VERSION, kind: 'VaultAuth', metadata: { name: 'default', namespace }, spec: { vaultConnectionRef: 'conn', method: 'appRole', mount: 'approle', appRole: { roleId: role.role_id, secretRef: 'approle' } } })
  await api.create(`/apis/${API_VERSION}/namespaces/${namespace}/vaultstaticsecrets`, {
    apiVersion: API_VERSION,
    kind: 'VaultStaticSecret',
    metadata: { name: 'app', namespace },
    spec: { type: 'kv-v2', mount: 'kv', path: 'app', vaultAuthRef: 'default', refreshAfter: '1h', syncConfig: { instantUpdates: true }, destination: { name: 'app', create: true } },
  })
  const engine = new SyncEngine({ kubeConfig: config, namespaces: [namespace], mode: 'write', log: createLogger({ level: 'silent' }), instantPollMs: POLL_MS })
  await engine.start()
  const secret = async () => {
    const found = await api.get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${namespace}/secrets/app`).catch(() => undefined)
    return Buffer.from(found?.data?.password ?? '', 'base64').toString()
  }
  while ((await secret()) === '') await pause(50)
  await engine.whenIdle()
  const resource = await api.get<{ status?: { conditions?: { type: string; message: string }[] } }>(`/apis/${API_VERSION}/namespaces/${namespace}/vaultstaticsecrets/app`)
  const synced = resource.status?.conditions?.find((condition) => condition.type === 'SecretSynced')?.message ?? ''
  const toSecret = await propagation((value) => call('POST', 'kv/data/app', { data: { password: value } }), async (value) => (await secret()) === value)
  await engine.stop()
  lines.push(`${name.padEnd(8)} Secret         by ${/by Vault events/.test(synced) ? 'events ' : 'polling'}: ${percentiles(toSecret)}`)
  vault.close()
  return lines
}

try {
  await installCrds(config)
  const lines = [...(await measure('Vault', lab.info.vault)), ...(await measure('OpenBao', lab.info.openbao))]
  console.log(`\nKV write made straight to Vault → seen through the product, ${WRITES} writes each, polling every ${POLL_MS} ms\n`)
  for (const line of lines) console.log(line)
} finally {
  api.close()
  await lab.stop()
}
