// Benchmark of a daemon restart with many dynamic secrets, as a user runs it: `vault-tray lab up`, BENCH_SECRETS
// VaultDynamicSecrets of the lab's database role, then `vault-tray daemon --sync` (the real CLI, nothing configured,
// so on the lab) started and stopped again, with the client cache on (direct-encrypted) and off (none).
// Per start: the time until every resource is synced, the logins Vault saw (tokens made), the new PostgreSQL users
// and the leases Vault holds. A private Secret Service (gnome-keyring) holds the lab's root token and the cache key.
// Run: npm run bench:client-cache
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import pg from 'pg'
import { SystemKeychain } from '../../main/engine/cache/keychain.ts'
import { KubeApi } from '../../main/engine/kube/api.ts'
import { labDown } from '../../main/engine/lab/lab.ts'
import { LAB_KEYCHAIN_SERVICE, type LabSecrets } from '../../main/engine/lab/secrets.ts'
import type { LabState } from '../../main/engine/lab/state.ts'
import { TUTORIAL, vaultDynamicSecret } from '../../main/engine/lab/tutorial.ts'
import { startKeychain } from '../lab/servers/keychain.ts'

const SECRETS = Number(process.env.BENCH_SECRETS ?? 1_000)
const { dynamic } = TUTORIAL
const runDir = mkdtempSync(join(tmpdir(), 'vault-tray-bench-keychain-'))
const dir = mkdtempSync(join(tmpdir(), 'vault-tray-bench-lab-'))
const data = mkdtempSync(join(tmpdir(), 'vault-tray-bench-xdg-'))
const keychain = await startKeychain(runDir, 15_000, new AbortController().signal)
process.env.DBUS_SESSION_BUS_ADDRESS = keychain.info.dbusAddress
const step = (what: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${what}`)

function vaultTray(args: string[], until?: (output: string) => boolean): Promise<{ ms: number; code: number | null; output: string }> {
  const started = performance.now()
  // a HOME of its own, so nothing is configured and the daemon takes the lab; the lab's binaries stay where they are cached
  const env = { ...process.env, XDG_DATA_HOME: data, HOME: data, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), VAULT_ADDR: '', KUBECONFIG: '' }
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli.ts', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  let ms: number | undefined
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString()
    if (until && ms === undefined && until(output)) {
      ms = Math.round(performance.now() - started)
      child.kill('SIGTERM')
    }
  })
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  return new Promise((resolve) => child.once('exit', (code) => resolve({ ms: ms ?? Math.round(performance.now() - started), code, output })))
}

const state = () => JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as LabState
const secrets = async () => JSON.parse((await new SystemKeychain(LAB_KEYCHAIN_SERVICE).get(dir))!) as LabSecrets

async function vault<T>(method: string, path: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${state().servers.vault!.port}/v1/${path}`, { method, headers: { 'X-Vault-Token': (await secrets()).rootToken! } })
  if (response.status === 404) return { data: { keys: [] } } as T
  return (await response.json()) as T
}

/** Tokens, database leases and PostgreSQL login roles, as Vault and PostgreSQL count them. */
async function counts(): Promise<{ tokens: number; leases: number; users: number }> {
  const tokens = await vault<{ data: { keys: string[] } }>('LIST', 'auth/token/accessors')
  const leases = await vault<{ data: { keys: string[] } }>('LIST', `sys/leases/lookup/${dynamic.databaseMount}/creds/${dynamic.databaseRole}`)
  const client = new pg.Client({ host: '127.0.0.1', port: state().servers.postgres!.port, database: 'postgres', user: 'postgres', password: (await secrets()).postgresPassword })
  await client.connect()
  const { rows } = await client.query<{ count: string }>("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'v-%'")
  await client.end()
  return { tokens: tokens.data.keys.length, leases: leases.data.keys.length, users: Number(rows[0]!.count) }
}

/** Every resource of the lab reported synced (the tutorial's two, and ours). */
const allSynced = (output: string) => new Set([...output.matchAll(/^sync {3}(\S+)\s+synced/gm)].map((match) => match[1])).size >= SECRETS + 2

async function start(label: string, model: 'direct-encrypted' | 'none'): Promise<void> {
  const before = await counts()
  const run = await vaultTray(['daemon', '--sync', '--metrics-port', '0', '--interval', '600', '--client-cache-persistence-model', model], allSynced)
  if (run.code !== 0 || !allSynced(run.output)) throw new Error(`the daemon did not sync all ${SECRETS + 2} resources (exit ${run.code}):\n${run.output.slice(-3000)}`)
  const after = await counts()
  const cache = /^sync {3}client cache: (.*)$/m.exec(run.output)?.[1] ?? ''
  console.log(
    `${label.padEnd(34)} ${(run.ms / 1000).toFixed(1).padStart(6)} s   logins ${String(after.tokens - before.tokens).padStart(3)}   new database users ${String(after.users - before.users).padStart(5)}   leases ${after.leases}   (${cache.slice(0, 60)}…)`,
  )
}

try {
  step('lab up')
  const up = await vaultTray(['lab', 'up', '--dir', dir])
  if (up.code !== 0) throw new Error(`lab up failed:\n${up.output}`)
  mkdirSync(join(data, 'vault-tray'))
  symlinkSync(dir, join(data, 'vault-tray', 'lab'))

  step(`creating ${SECRETS} VaultDynamicSecrets`)
  const config = new KubeConfig()
  config.loadFromFile(join(dir, 'kube', 'kubeconfig'))
  const api = new KubeApi(config)
  const template = vaultDynamicSecret()
  const names = Array.from({ length: SECRETS }, (_, index) => `bench-${String(index).padStart(4, '0')}`)
  const queue = [...names]
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let name = queue.shift(); name; name = queue.shift()) {
        const { rolloutRestartTargets: _none, ...spec } = template.spec
        await api.create(`/apis/secrets.hashicorp.com/v1beta1/namespaces/${dynamic.namespace}/vaultdynamicsecrets`, { ...template, metadata: { name, namespace: dynamic.namespace }, spec: { ...spec, destination: { name, create: true } } })
      }
    }),
  )
  api.close()

  console.log(`daemon restarts with ${SECRETS} VaultDynamicSecrets on the lab (OpenBao, kube-apiserver + etcd, PostgreSQL), Node ${process.version}\n`)
  step('first start: every secret gets its lease')
  await start('first start (mints the leases)', 'direct-encrypted')
  step('restarts')
  await start('restart, client cache on', 'direct-encrypted')
  await start('restart, client cache off (none)', 'none')
  await start('restart, client cache on again', 'direct-encrypted')
} finally {
  await labDown({ dir })
  await keychain.server.stop()
  for (const path of [runDir, data, dir]) rmSync(path, { recursive: true, force: true })
}
