// Shared by the one-click lab's tests: run `vault-tray lab …` as a user does, read what a lab made, and look for
// anything of it left behind. These labs are the tests' own (own servers, own directories), not the test lab.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { KubeConfig } from '@kubernetes/client-node'
import pg from 'pg'
import { expect } from 'vitest'
import { SystemKeychain } from '../../main/engine/cache/keychain.ts'
import { KubeApi } from '../../main/engine/kube/api.ts'
import { isListening, processesUsing } from '../../main/engine/lab/process.ts'
import { LAB_KEYCHAIN_SERVICE, type LabSecrets } from '../../main/engine/lab/secrets.ts'
import { recordedPorts } from '../../main/engine/lab/servers.ts'
import type { LabState } from '../../main/engine/lab/state.ts'
import { STATIC_EXAMPLE_DATA, TUTORIAL } from '../../main/engine/lab/tutorial.ts'
import { lab } from './helpers.ts'

/** The keychain the lab uses in tests: the test lab's private Secret Service. Set before the first keychain use. */
export function useTestKeychain(): void {
  process.env.DBUS_SESSION_BUS_ADDRESS = lab.keychain.dbusAddress
}

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
  ms: number
}

/** `vault-tray <args>` in a process of its own, as `npm run vault-tray -- …` runs it. */
export function vaultTray(args: string[], options: { env?: NodeJS.ProcessEnv; onStart?: (child: ChildProcess) => void } = {}): Promise<CliRun> {
  const started = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli.ts', ...args], {
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: lab.keychain.dbusAddress, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  options.onStart?.(child)
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) })))
}

export function readLabState(dir: string): LabState {
  return JSON.parse(readFileSync(`${dir}/state.json`, 'utf8')) as LabState
}

export async function labSecrets(dir: string): Promise<LabSecrets | null> {
  const stored = await new SystemKeychain(LAB_KEYCHAIN_SERVICE).get(dir)
  return stored === null ? null : (JSON.parse(stored) as LabSecrets)
}

/** The lab's cluster, as its administrator. */
export function labKube(dir: string): KubeApi {
  const config = new KubeConfig()
  config.loadFromFile(`${dir}/kube/kubeconfig`)
  return new KubeApi(config)
}

export async function readSecretData(api: KubeApi, namespace: string, name: string): Promise<Record<string, string>> {
  const secret = await api.get<{ data: Record<string, string> }>(`/api/v1/namespaces/${namespace}/secrets/${name}`)
  return Object.fromEntries(Object.entries(secret.data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]))
}

export async function postgresClient(dir: string, user: string, password: string): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port: readLabState(dir).servers.postgres!.port, database: 'postgres', user, password, connectionTimeoutMillis: 5_000 })
  await client.connect()
  return client
}

/** Whether PostgreSQL lets these credentials in, as the example app would find out. */
export async function logsIn(dir: string, data: Record<string, string>): Promise<boolean> {
  try {
    await (await postgresClient(dir, data.username!, data.password!)).end()
    return true
  } catch {
    return false
  }
}

/** The login roles Vault created in PostgreSQL (each set of dynamic credentials is one). */
export async function vaultUsers(dir: string, superuserPassword: string): Promise<string[]> {
  const client = await postgresClient(dir, 'postgres', superuserPassword)
  try {
    return (await client.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-%' ORDER BY rolname")).rows.map((row) => row.rolname)
  } finally {
    await client.end()
  }
}

const { static: stat, dynamic, transit, operator } = TUTORIAL
const VSO = 'apis/secrets.hashicorp.com/v1beta1/namespaces'

/** Every object the lab makes in its cluster, and both Secrets the sync made. */
export const LAB_OBJECTS = [
  ...[TUTORIAL.vaultNamespace, stat.namespace, dynamic.namespace, operator.namespace].map((name) => `/api/v1/namespaces/${name}`),
  `/api/v1/namespaces/${TUTORIAL.vaultNamespace}/serviceaccounts/${TUTORIAL.reviewerServiceAccount}`,
  `/api/v1/namespaces/${stat.namespace}/serviceaccounts/${stat.serviceAccount}`,
  `/api/v1/namespaces/${dynamic.namespace}/serviceaccounts/${dynamic.serviceAccount}`,
  `/api/v1/namespaces/${operator.namespace}/serviceaccounts/${operator.serviceAccount}`,
  `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${TUTORIAL.reviewerBinding}`,
  ...['vaultconnections', 'vaultauths', 'vaultstaticsecrets', 'vaultdynamicsecrets', 'vaultpkisecrets', 'secrettransformations', 'vaultauthglobals'].map((plural) => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural}.secrets.hashicorp.com`),
  `/${VSO}/${TUTORIAL.vaultNamespace}/vaultconnections/${TUTORIAL.connection}`,
  `/${VSO}/${stat.namespace}/vaultauths/${stat.auth}`,
  `/${VSO}/${dynamic.namespace}/vaultauths/${dynamic.auth}`,
  `/${VSO}/${operator.namespace}/vaultauths/${TUTORIAL.transit.auth}`,
  `/${VSO}/${stat.namespace}/vaultstaticsecrets/${stat.secret}`,
  `/${VSO}/${dynamic.namespace}/vaultdynamicsecrets/${dynamic.secret}`,
  `/apis/apps/v1/namespaces/${dynamic.namespace}/deployments/${dynamic.deployment}`,
  `/api/v1/namespaces/${stat.namespace}/secrets/${stat.destination}`,
  `/api/v1/namespaces/${dynamic.namespace}/secrets/${dynamic.destination}`,
  `/api/v1/namespaces/${operator.namespace}/secrets/vso-cc-storage-hmac-key`,
]

/** Vault's configuration as the lab made it: mounts, auth, policies, roles, connections, secret versions, keys, leases. */
export const LAB_VAULT_READS = [
  'sys/mounts',
  'sys/auth',
  ...[stat.policy, dynamic.policy, transit.policy].map((name) => `sys/policies/acl/${name}`),
  ...[stat.role, dynamic.role, transit.role].map((name) => `auth/${TUTORIAL.authMount}/role/${name}`),
  `auth/${TUTORIAL.authMount}/config`,
  `${stat.kvMount}/metadata/${stat.kvPath}`,
  `${dynamic.databaseMount}/config/${dynamic.databaseConnection}`,
  `${dynamic.databaseMount}/roles/${dynamic.databaseRole}`,
  `${transit.mount}/keys/${transit.key}`,
]

/**
 * What "no change" is measured by: the resourceVersion of every object the lab made (any write bumps it), Vault's
 * configuration as read back, the leases Vault holds and the users in PostgreSQL, and the servers' pids.
 */
export async function labSnapshot(dir: string): Promise<Record<string, unknown>> {
  const secrets = (await labSecrets(dir))!
  const state = readLabState(dir)
  const api = labKube(dir)
  const address = `http://127.0.0.1:${state.servers.vault!.port}`
  const vault = async (method: string, path: string) => {
    const response = await fetch(`${address}/v1/${path}`, { method, headers: { 'X-Vault-Token': secrets.rootToken! } })
    const body = (await response.json()) as { data?: unknown; request_id?: string }
    return body.data ?? body
  }
  try {
    const kube = Object.fromEntries(await Promise.all(LAB_OBJECTS.map(async (path) => [path, (await api.get<{ metadata: { resourceVersion: string } }>(path)).metadata.resourceVersion] as const)))
    const config = Object.fromEntries(await Promise.all(LAB_VAULT_READS.map(async (path) => [path, await vault('GET', path)] as const)))
    const leases = await vault('LIST', `sys/leases/lookup/${dynamic.databaseMount}/creds/${dynamic.databaseRole}`)
    return { kube, vault: config, leases, postgresUsers: await vaultUsers(dir, secrets.postgresPassword!), pids: Object.fromEntries(Object.entries(state.servers).map(([name, record]) => [name, record.pid])) }
  } finally {
    api.close()
  }
}

/** The tutorial's end state: the static Secret holds Vault's data, the dynamic one logs in to PostgreSQL. */
export async function expectTutorialSynced(dir: string): Promise<void> {
  const api = labKube(dir)
  try {
    expect(await readSecretData(api, stat.namespace, stat.destination)).toMatchObject(STATIC_EXAMPLE_DATA)
    const credentials = await readSecretData(api, dynamic.namespace, dynamic.destination)
    expect(credentials.username).toMatch(/^v-/)
    expect(await logsIn(dir, credentials)).toBe(true)
  } finally {
    api.close()
  }
}

/** How many tokens the lab's Vault holds: each login makes one, so the difference counts logins. */
export async function labTokenCount(dir: string): Promise<number> {
  const secrets = (await labSecrets(dir))!
  const response = await fetch(`http://127.0.0.1:${readLabState(dir).servers.vault!.port}/v1/auth/token/accessors`, { method: 'LIST', headers: { 'X-Vault-Token': secrets.rootToken! } })
  const body = (await response.json()) as { data: { keys: string[] } }
  return body.data.keys.length
}

/** What is left of a lab that `down` removed: processes, listening ports. */
export async function leftovers(dir: string, ports: number[]): Promise<{ processes: string[]; listening: number[] }> {
  const processes = (await processesUsing(dir)).map((entry) => `${entry.pid} ${entry.command}`)
  const listening = (await Promise.all(ports.map(async (port) => ((await isListening(port)) ? port : undefined)))).filter((port): port is number => port !== undefined)
  return { processes, listening }
}

export function allPorts(state: LabState): number[] {
  return Object.values(state.servers).flatMap((record) => recordedPorts(record))
}
