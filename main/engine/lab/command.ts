// `vault-tray lab up|down|status|token`: the one-click lab from a terminal. Progress goes to stdout as each step
// starts and ends; the root token only when asked for (`--show-token`, `lab token`).
import { homedir } from 'node:os'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { defaultVaultToken } from '../vault/connection.ts'
import { labDown, labStatus, labToken, labUp, type LabOptions, type LabUpResult } from './lab.ts'
import { LabPreflightError, describeCluster, describePostgres, describeVault, type ClusterChoice } from './providers.ts'
import type { StepEvent } from './runner.ts'
import { LAB_KEYCHAIN_SERVICE } from './secrets.ts'
import { defaultLabDir } from './state.ts'

export class LabUsageError extends Error {}

export const LAB_USAGE = `vault-tray lab up [--dir DIR] [--vault-bin PATH | --vault-addr URL] [--cluster auto|local|kind|minikube|current] [--context NAME]
                    [--postgres URL] [--vault-port N] [--kube-port N] [--postgres-port N] [--show-token] [--require-keychain]
       vault-tray lab down|status [--dir DIR]
       vault-tray lab token [--dir DIR] [--unseal-key]`

export const LAB_HELP = `  lab up        set up the whole VSO tutorial locally: Vault, a cluster, PostgreSQL, auth, policies, roles, static + dynamic +
                transit, VSO's resources, both Secrets synced once; again, it changes only what is missing
    --dir       the lab's directory (default $XDG_DATA_HOME/vault-tray/lab)
    --vault-bin run the lab's Vault with this bao or vault binary (default: bao, vault on PATH, or the cached OpenBao)
    --vault-addr  use a Vault you run (token from VAULT_TOKEN); the lab changes in it only what it creates
    --cluster   auto (kind, else minikube, else a control plane of its own), local, kind, minikube, or current (your kube-context)
    --context   use this context of your kubeconfig
    --postgres  use a PostgreSQL you run: postgresql://USER@HOST:PORT/DB (password in PGPASSWORD)
    --show-token  print the lab's root token with the exports
  lab down      remove everything the lab created: its servers, its directory, its keychain entry
  lab status    what exists and what is healthy, changing nothing (exit 0 healthy, 1 not, 3 no lab)
  lab token     print the lab's root token (--unseal-key: its unseal key)`

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`
const home = homedir()
const tidy = (path: string) => (path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path)

function port(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (!Number.isInteger(number) || number < 1 || number > 65_535) throw new LabUsageError(`${flag} must be a port number (1-65535), not "${value}"`)
  return number
}

export function describeEvent(event: StepEvent): string {
  switch (event.kind) {
    case 'start':
      return `  … ${event.title}`
    case 'done': {
      const what = [...event.changes, ...event.notes.map((note) => `note: ${note}`)]
      return `  ✓ ${event.title}  ${seconds(event.ms)}  ${what.length ? what.join('; ') : 'unchanged'}  [log: ${event.logs.map(tidy).join(', ')}]`
    }
    case 'failed':
      return `  ✗ ${event.title}  ${seconds(event.ms)}  FAILED: ${event.error}${event.changes.length ? ` (done before that: ${event.changes.join('; ')})` : ''}\n      log: ${event.logs.map(tidy).join(', ')}`
    case 'skipped':
      return `  – ${event.title}: not run, ${event.reason}`
  }
}

function exportsLine(result: { vaultAddress?: string; kubeconfig?: string }, rootToken?: string): string {
  const parts = [result.vaultAddress && `VAULT_ADDR=${result.vaultAddress}`, rootToken && `VAULT_TOKEN=${rootToken}`, result.kubeconfig && `KUBECONFIG=${result.kubeconfig}`].filter(Boolean)
  return parts.length ? `  export ${parts.join(' ')}` : ''
}

async function up(options: LabOptions, showToken: boolean, print: (line: string) => void): Promise<number> {
  const abort = new AbortController()
  let interrupts = 0
  const onInterrupt = () => {
    interrupts++
    if (interrupts > 1) process.exit(130) // the state file already names what runs: `lab down` still finds it
    abort.abort()
    print('\nStopping after the operations under way (Ctrl-C again to quit at once)…')
  }
  process.on('SIGINT', onInterrupt)
  process.on('SIGTERM', onInterrupt)
  let result: LabUpResult
  try {
    print(`Lab in ${tidy(options.dir!)}`)
    result = await labUp({ ...options, signal: abort.signal, onEvent: (event) => print(describeEvent(event)) })
  } catch (error) {
    if (error instanceof LabPreflightError) {
      print(`${error.message}\nNothing was started.`)
      return 1
    }
    throw error
  } finally {
    process.off('SIGINT', onInterrupt)
    process.off('SIGTERM', onInterrupt)
  }
  for (const warning of result.warnings) print(`\nWARNING: ${warning}`)
  if (result.interrupted) {
    print(`\nInterrupted after ${seconds(result.ms)}. Whatever runs is recorded in ${tidy(result.dir)}/state.json: \`vault-tray lab up\` finishes the job, \`vault-tray lab down\` removes it all.`)
    return 130
  }
  if (!result.ok) {
    const failed = result.outcomes.filter((outcome) => outcome.kind === 'failed').map((outcome) => `“${outcome.title}”`)
    print(`\nThe lab is not up: ${failed.join(', ')} failed (see above, and the log named there). Once that is fixed, \`vault-tray lab up\` finishes the job; \`vault-tray lab down\` removes what is there.`)
    return 1
  }
  const token = showToken && result.providers.vault.kind === 'server' ? (await labToken(options)).rootToken : undefined
  print(`\n${result.changed ? `The lab is up (${seconds(result.ms)}).` : `The lab was already up; nothing changed (${seconds(result.ms)}).`}`)
  print(exportsLine(result, token))
  print(`  Vault: ${describeVault(result.providers.vault)}. Kubernetes: ${describeCluster(result.providers.cluster)}. PostgreSQL: ${describePostgres(result.providers.postgres)}.`)
  if (result.providers.vault.kind === 'server' && !token) {
    print(`  The root token and unseal key are in ${result.secrets === 'file' ? tidy(`${result.dir}/secrets.json`) : `the OS keychain (service ${LAB_KEYCHAIN_SERVICE})`}; \`vault-tray lab token\` prints the token.`)
  }
  print('  `lab up` synced both Secrets once and exits. To keep them synced (leases renewed, drift repaired): `npm start -- --sync` with the exports above.')
  print(`  State and logs: ${tidy(result.dir)}. \`vault-tray lab down\` removes it all.`)
  return 0
}

export async function runLabCommand(args: string[], print: (line: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      'vault-bin': { type: 'string' },
      'vault-addr': { type: 'string' },
      cluster: { type: 'string' },
      context: { type: 'string' },
      postgres: { type: 'string' },
      'vault-port': { type: 'string' },
      'kube-port': { type: 'string' },
      'postgres-port': { type: 'string' },
      'show-token': { type: 'boolean', default: false },
      'require-keychain': { type: 'boolean', default: false },
      'unseal-key': { type: 'boolean', default: false },
    },
  })
  const [operation, extra] = positionals
  if (extra !== undefined) throw new LabUsageError(`lab takes one operation, not "${positionals.join(' ')}"`)
  const cluster = values.cluster as ClusterChoice | undefined
  if (cluster && !['auto', 'local', 'kind', 'minikube', 'current'].includes(cluster)) throw new LabUsageError(`--cluster must be auto, local, kind, minikube or current, not "${cluster}"`)
  if (values['vault-bin'] && values['vault-addr']) throw new LabUsageError('--vault-bin runs a Vault of the lab\'s own and --vault-addr uses yours: give one of them')
  const env = process.env
  const options: LabOptions = {
    dir: values.dir,
    vaultBin: values['vault-bin'],
    vaultAddr: values['vault-addr'],
    cluster,
    context: values.context,
    postgres: values.postgres,
    postgresPassword: env.PGPASSWORD || undefined,
    ports: { vault: port(values['vault-port'], '--vault-port'), kube: port(values['kube-port'], '--kube-port'), postgres: port(values['postgres-port'], '--postgres-port') },
    requireKeychain: values['require-keychain'],
  }
  options.dir = resolve(options.dir ?? defaultLabDir(env))
  // a Vault of the user's is reached with the user's token, found as the vault CLI finds it
  const userToken = async () => (await defaultVaultToken(env))?.token

  switch (operation) {
    case 'up':
      return up({ ...options, vaultToken: values['vault-addr'] ? await userToken() : undefined }, values['show-token'], print)
    case 'down': {
      const result = await labDown({ ...options, vaultToken: await userToken().catch(() => undefined) })
      if (!result.existed) print(`No lab in ${tidy(result.dir)}; nothing to remove.`)
      for (const action of result.actions) print(`  ${action}`)
      for (const problem of result.problems) print(`  PROBLEM: ${problem}`)
      if (result.existed) print(result.problems.length ? '\nThe lab is down, except for the problems above.' : '\nThe lab is down: nothing of it is left.')
      return result.problems.length ? 1 : 0
    }
    case 'status': {
      const status = await labStatus({ ...options, vaultToken: await userToken().catch(() => undefined) })
      if (!status.providers) {
        print(`No lab in ${tidy(status.dir)}${status.exists ? ' (the directory exists, without a state file: `vault-tray lab down` removes it)' : ''}. \`vault-tray lab up\` makes one.`)
        return 3
      }
      print(`Lab in ${tidy(status.dir)}; root token and unseal key ${status.secrets === 'file' ? `in ${tidy(`${status.dir}/secrets.json`)}` : status.secrets === 'keychain' ? 'in the OS keychain' : 'not found'}`)
      print(`  Vault: ${describeVault(status.providers.vault)}\n  Kubernetes: ${describeCluster(status.providers.cluster)}\n  PostgreSQL: ${describePostgres(status.providers.postgres)}`)
      for (const server of status.servers) print(`  ${server.name.padEnd(15)} ${server.running ? 'running' : 'STOPPED'}  pid ${server.pid}  ${server.listensOn}`)
      for (const outcome of status.outcomes) {
        if (outcome.kind === 'done') print(outcome.changes.length ? `  ✗ ${outcome.title}: ${outcome.changes.join('; ')}` : `  ✓ ${outcome.title}`)
        else if (outcome.kind === 'failed') print(`  ✗ ${outcome.title}: could not check: ${outcome.error}`)
        else print(`  – ${outcome.title}: not checked, ${outcome.reason}`)
      }
      for (const warning of status.warnings) print(`WARNING: ${warning}`)
      print(status.healthy ? '\nHealthy: everything is as `lab up` made it.' : '\nNot healthy: `vault-tray lab up` makes what is marked ✗ or not checked as it should be.')
      const exports = exportsLine(status)
      if (exports && status.healthy) print(exports)
      return status.healthy ? 0 : 1
    }
    case 'token': {
      const material = await labToken(options)
      print(values['unseal-key'] ? material.unsealKey : material.rootToken)
      return 0
    }
    default:
      throw new LabUsageError(operation ? `unknown lab operation "${operation}"` : 'lab needs an operation: up, down, status or token')
  }
}
