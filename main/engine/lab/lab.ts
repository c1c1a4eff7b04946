// The one-click lab: `up` sets up the whole VSO tutorial (Vault, a cluster, PostgreSQL, auth, policies, roles,
// static + dynamic + transit, VSO's resources, both Secrets synced) and can run again at any time; `down` removes
// everything it created and nothing else; `status` looks without changing anything.
import { existsSync, rmSync } from 'node:fs'
import { delimiter } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Keychain } from '../cache/keychain.ts'
import { KubeApi } from '../kube/api.ts'
import { configForContext, loadKubeConfig } from '../kube/contexts.ts'
import { VaultClient, VaultError } from '../vault/client.ts'
import { vaultSettingsFromEnv } from '../vault/connection.ts'
import { deleteCluster } from './cluster.ts'
import { kubeGet } from './configure.ts'
import type { LabContext, LabTimeouts, Providers } from './context.ts'
import { isAlive, processesUsing, stopProcessGroup } from './process.ts'
import { parsePostgresUrl, resolveProviders, type ProviderOptions } from './providers.ts'
import { runSteps, type StepEvent, type StepOutcome } from './runner.ts'
import { LabSecretStore } from './secrets.ts'
import { isOurs } from './servers.ts'
import { acquireLock, covers, defaultLabDir, emptyState, ensureLabDir, LabPaths, readState, StateStore, type CreatedEntry, listensOn, type LabServerName, type LabState } from './state.ts'
import { kubeconfigFor, labSteps } from './steps.ts'
import { TUTORIAL } from './tutorial.ts'

export interface LabOptions extends ProviderOptions {
  /** The lab directory; `$XDG_DATA_HOME/vault-tray/lab` by default. */
  dir?: string
  env?: NodeJS.ProcessEnv
  /** For a Vault that is not the lab's own (--vault-addr): a token that may enable mounts and write policies. */
  vaultToken?: string
  /** For a PostgreSQL that is not the lab's own, when its --postgres URL carries none (PGPASSWORD). */
  postgresPassword?: string
  /** Refuse to keep the root token and unseal key anywhere but the OS keychain. */
  requireKeychain?: boolean
  keychain?: Keychain
  signal?: AbortSignal
  onEvent?: (event: StepEvent) => void
  timeouts?: Partial<LabTimeouts>
}

export interface LabUpResult {
  dir: string
  ok: boolean
  interrupted: boolean
  outcomes: StepOutcome[]
  ms: number
  /** True when any step changed anything. */
  changed: boolean
  providers: Providers
  vaultAddress?: string
  kubeconfig?: string
  /** Where the root token and unseal key are kept. */
  secrets?: 'keychain' | 'file'
  warnings: string[]
}

const DEFAULT_TIMEOUTS: LabTimeouts = { serverMs: 90_000, syncMs: 60_000 }

function labContext(paths: LabPaths, store: StateStore, secrets: LabSecretStore, material: LabContext['material'], providers: Providers, options: LabOptions): { context: LabContext; close: () => Promise<void> } {
  const memo = new Map<string, Promise<unknown>>()
  const closers: (() => void | Promise<void>)[] = []
  const fromUrl = options.postgres ? parsePostgresUrl(options.postgres).password : undefined
  const context: LabContext = {
    paths,
    store,
    secrets,
    material,
    providers,
    env: options.env ?? process.env,
    ports: options.ports ?? {},
    timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
    vaultToken: options.vaultToken,
    postgresPasswordOption: fromUrl ?? options.postgresPassword,
    postgresPasswordChanged: false,
    saveMaterial: async () => {
      await secrets.save(context.material)
      store.update((state) => (state.secrets = secrets.where))
    },
    once: <T>(key: string, work: () => Promise<T>) => {
      if (!memo.has(key)) memo.set(key, work())
      return memo.get(key) as Promise<T>
    },
    onClose: (close) => closers.push(close),
  }
  const close = async () => {
    for (const closer of closers.reverse()) await closer()
  }
  return { context, close }
}

export async function labUp(options: LabOptions = {}): Promise<LabUpResult> {
  const env = options.env ?? process.env
  const paths = new LabPaths(options.dir ?? defaultLabDir(env))
  const previous = readState(paths)
  // everything missing is said before anything is made
  const providers = await resolveProviders(paths, options, previous, env)
  ensureLabDir(paths)
  const unlock = acquireLock(paths)
  const store = new StateStore(paths, previous ?? emptyState())
  store.update((state) => (state.providers = providers))
  const secrets = new LabSecretStore(paths, options.keychain, options.requireKeychain)
  const warnings: string[] = []
  const { context, close } = labContext(paths, store, secrets, {}, providers, options)
  try {
    context.material = await secrets.load()
    if (secrets.moved) warnings.push(secrets.moved)
    // a locked keychain is not a lost one: stop rather than take the lab's Vault for one nobody can open
    if (secrets.keychainProblem && store.state.secrets === 'keychain') throw new Error(`${secrets.keychainProblem} The lab's root token and unseal key are there, so \`lab up\` stopped before touching anything. Run it again once the keychain can be used.`)
    const run = await runSteps(labSteps(), context, { signal: options.signal, onEvent: options.onEvent, logFile: (id) => paths.log(id) })
    if (secrets.warning) warnings.push(secrets.warning)
    store.update((state) => {
      for (const outcome of run.outcomes) {
        state.steps[outcome.id] = { ok: outcome.kind === 'done', at: new Date().toISOString(), ms: outcome.kind === 'skipped' ? 0 : outcome.ms, ...(outcome.kind === 'failed' ? { error: outcome.error } : outcome.kind === 'skipped' ? { error: outcome.reason } : {}) }
      }
      if (secrets.where) state.secrets = secrets.where
    })
    return {
      dir: paths.dir,
      ok: run.ok,
      interrupted: run.interrupted,
      outcomes: run.outcomes,
      ms: run.ms,
      changed: run.outcomes.some((outcome) => outcome.kind !== 'skipped' && outcome.changes.length > 0),
      providers,
      vaultAddress: context.vault?.address ?? recordedVaultAddress(store.state),
      kubeconfig: kubeconfigFor(context),
      secrets: secrets.where,
      warnings,
    }
  } finally {
    await close()
    unlock()
  }
}

function recordedVaultAddress(state: LabState): string | undefined {
  if (state.providers?.vault.kind === 'existing') return state.providers.vault.address
  return state.servers.vault ? `http://127.0.0.1:${state.servers.vault.port}` : undefined
}

/**
 * Where an existing lab's Vault and cluster are, read from its state file alone (no server is asked), so the
 * daemon can use the lab when nothing else is configured. Undefined when there is no lab or it cannot be read.
 */
export function labEndpoints(dir: string = defaultLabDir()): { dir: string; vaultAddress?: string; kubeconfig?: string } | undefined {
  const paths = new LabPaths(dir)
  let state: LabState | undefined
  try {
    state = readState(paths)
  } catch {
    return undefined
  }
  if (!state?.providers) return undefined
  const cluster = state.providers.cluster
  const kubeconfig = cluster.kind === 'context' ? cluster.kubeconfig.join(delimiter) : existsSync(paths.kubeconfig) ? paths.kubeconfig : undefined
  return { dir: paths.dir, vaultAddress: recordedVaultAddress(state), kubeconfig }
}

export interface LabStatusResult {
  dir: string
  exists: boolean
  providers?: Providers
  servers: { name: LabServerName; pid: number; listensOn: string; running: boolean }[]
  /** Each step as a dry run: done without changes is healthy; its changes say what `up` would do. */
  outcomes: StepOutcome[]
  healthy: boolean
  secrets?: 'keychain' | 'file'
  warnings: string[]
  vaultAddress?: string
  kubeconfig?: string
}

/** What exists and what is healthy, changing nothing (and printing no secret). */
export async function labStatus(options: LabOptions = {}): Promise<LabStatusResult> {
  const env = options.env ?? process.env
  const paths = new LabPaths(options.dir ?? defaultLabDir(env))
  const state = readState(paths)
  if (!state?.providers) return { dir: paths.dir, exists: existsSync(paths.dir), servers: [], outcomes: [], healthy: false, warnings: [] }
  const servers = await Promise.all(
    (Object.entries(state.servers) as [LabServerName, NonNullable<LabState['servers'][LabServerName]>][]).map(async ([name, record]) => ({ name, pid: record.pid, listensOn: listensOn(record), running: await isOurs(record, paths.dir) })),
  )
  const secrets = new LabSecretStore(paths, options.keychain)
  const { context, close } = labContext(paths, new StateStore(paths, state), secrets, {}, state.providers, options)
  try {
    context.material = await secrets.load({ move: false })
    const locked = secrets.keychainProblem && state.secrets === 'keychain'
    // without the root token nothing in Vault can be checked, and the Vault is not lost for that
    const run = locked ? { outcomes: [] } : await runSteps(labSteps(), context, { dryRun: true, logFile: (id) => paths.log(id) })
    const warnings = [secrets.warning, locked ? `${secrets.keychainProblem} The lab's root token is there, so only its servers were checked.` : undefined].filter((text): text is string => text !== undefined)
    return {
      dir: paths.dir,
      exists: true,
      providers: state.providers,
      servers,
      outcomes: run.outcomes,
      healthy: !locked && run.outcomes.every((outcome) => outcome.kind === 'done' && outcome.changes.length === 0),
      secrets: secrets.where ?? state.secrets,
      warnings,
      vaultAddress: recordedVaultAddress(state),
      kubeconfig: kubeconfigFor(context),
    }
  } finally {
    await close()
  }
}

/** The lab's root token and unseal key, for a user who asks (`lab token`); never logged. */
export async function labToken(options: LabOptions = {}): Promise<{ rootToken: string; unsealKey: string; where: 'keychain' | 'file' }> {
  const env = options.env ?? process.env
  const paths = new LabPaths(options.dir ?? defaultLabDir(env))
  const state = readState(paths)
  if (!state?.providers) throw new Error(`There is no lab in ${paths.dir}. \`vault-tray lab up\` makes one.`)
  if (state.providers.vault.kind === 'existing') throw new Error(`The lab in ${paths.dir} uses your Vault at ${state.providers.vault.address}: its token is your own (VAULT_TOKEN), and the lab keeps none.`)
  const secrets = new LabSecretStore(paths, options.keychain)
  const material = await secrets.load({ move: false })
  if (!material.rootToken || !material.unsealKey || !secrets.where) throw new Error(`The root token of the lab in ${paths.dir} is not in the OS keychain${secrets.warning ? ' (which cannot be used now)' : ''} nor in ${paths.secretsFile}. \`vault-tray lab up\` starts the lab's Vault afresh if it cannot be opened.`)
  return { rootToken: material.rootToken, unsealKey: material.unsealKey, where: secrets.where }
}

export interface LabDownResult {
  dir: string
  /** False when there was no lab to remove. */
  existed: boolean
  /** What was removed, in order. */
  actions: string[]
  /** What could not be removed, and what to do about it. */
  problems: string[]
}

/** Removes everything the lab created and nothing else: processes, ports, the lab directory, the keychain entry. */
export async function labDown(options: LabOptions = {}): Promise<LabDownResult> {
  const env = options.env ?? process.env
  const paths = new LabPaths(options.dir ?? defaultLabDir(env))
  const secrets = new LabSecretStore(paths, options.keychain)
  const actions: string[] = []
  const problems: string[] = []
  const forgetSecrets = async (keptInFile = false) => {
    const cleared = await secrets.clear()
    if (cleared.keychain === 'deleted') actions.push(`deleted the keychain entry (service vault-tray-lab, ${paths.dir})`)
    // a lab that kept its secrets in the file never wrote to the keychain: nothing to worry about there
    else if (cleared.keychain !== 'absent' && !keptInFile) problems.push(cleared.keychain)
    if (cleared.file) actions.push(`deleted ${paths.secretsFile}`)
  }
  const stopStrays = async () => {
    for (const stray of await processesUsing(paths.dir)) {
      await stopProcessGroup(stray.pid)
      if (!isAlive(stray.pid)) actions.push(`stopped pid ${stray.pid}, which ran from the lab directory (${stray.command.slice(0, 80)})`)
      else problems.push(`pid ${stray.pid} (${stray.command.slice(0, 80)}) runs from ${paths.dir} and could not be stopped: stop it by hand.`)
    }
  }
  if (!existsSync(paths.dir)) {
    // a directory deleted by hand may have left its servers running
    await stopStrays()
    await forgetSecrets()
    return { dir: paths.dir, existed: actions.length > 0, actions, problems }
  }
  const unlock = acquireLock(paths)
  try {
    let state: LabState | undefined
    try {
      state = readState(paths)
    } catch (error) {
      problems.push((error as Error).message)
    }
    if (state?.providers) await undoOutside(state, paths, secrets, options, actions, problems)

    // the servers: by recorded pid (when still ours), then anything else that runs from the lab directory
    await Promise.all(
      Object.entries(state?.servers ?? {}).map(async ([name, record]) => {
        if (!(await isOurs(record, paths.dir))) return
        // the apiserver keeps nothing of its own (etcd does) and drains slowly: it gets no grace
        await stopProcessGroup(record.pid, name === 'kube-apiserver' ? 0 : undefined)
        actions.push(`stopped ${name} (pid ${record.pid}, ${listensOn(record)})`)
      }),
    )
    await stopStrays()
    await forgetSecrets(state?.secrets === 'file')
  } finally {
    unlock()
  }
  rmSync(paths.dir, { recursive: true, force: true })
  actions.push(`removed ${paths.dir}`)
  return { dir: paths.dir, existed: true, actions, problems }
}

/** The apiserver answers 429 for a moment while it re-initializes the storage of custom resources: wait that out. */
async function patiently<T>(request: () => Promise<T>): Promise<T> {
  for (let waited = 0; ; waited += 200) {
    try {
      return await request()
    } catch (error) {
      if ((error as { status?: number }).status !== 429 || waited > 15_000) throw error
      await sleep(200)
    }
  }
}

/** What the lab made in servers that stay: the user's Vault, cluster or PostgreSQL, or a kind/minikube cluster of its own. */
async function undoOutside(state: LabState, paths: LabPaths, secrets: LabSecretStore, options: LabOptions, actions: string[], problems: string[]): Promise<void> {
  const providers = state.providers!
  const env = options.env ?? process.env
  const entries = [...state.created].reverse()
  // what lives in a mount or namespace the lab created goes with it
  const covered = (entry: CreatedEntry) => entry.in !== 'kube-crd' && entries.some((other) => other !== entry && other.in === entry.in && 'path' in other && covers(other.path, entry.path))

  // Vault: the credentials it issued go first, while Vault can still revoke them in PostgreSQL
  let vault: { client: VaultClient; token: string } | undefined
  if (providers.vault.kind === 'existing') {
    if (options.vaultToken) vault = { client: new VaultClient({ ...vaultSettingsFromEnv(env), address: providers.vault.address }, { timeoutMs: 15_000 }), token: options.vaultToken }
    else if (entries.some((entry) => entry.in === 'vault')) problems.push(`The lab created things in your Vault at ${providers.vault.address}, and without VAULT_TOKEN it cannot remove them: ${entries.filter((entry) => entry.in === 'vault').map((entry) => entry.what).join('; ')}.`)
  } else if (providers.postgres.kind === 'existing' && state.servers.vault && (await isOurs(state.servers.vault, paths.dir))) {
    const material = await secrets.load({ move: false }).catch(() => ({ rootToken: undefined }))
    if (material.rootToken) vault = { client: new VaultClient({ address: `http://127.0.0.1:${state.servers.vault.port}`, skipVerify: false }, { timeoutMs: 15_000 }), token: material.rootToken }
  }
  try {
    if (vault && (providers.postgres.kind === 'existing' || providers.vault.kind === 'existing')) {
      const prefix = `${TUTORIAL.dynamic.databaseMount}/creds/${TUTORIAL.dynamic.databaseRole}`
      try {
        await vault.client.request({ method: 'PUT', path: `sys/leases/revoke-prefix/${prefix}`, token: vault.token })
        actions.push(`revoked the database credentials Vault issued (${prefix}), dropping their PostgreSQL users`)
      } catch (error) {
        if (!(error instanceof VaultError && error.status === 404)) problems.push(`Could not revoke the database credentials under ${prefix} (${(error as Error).message}); their PostgreSQL users (named v-…) expire within a day, or drop them by hand.`)
      }
    } else if (providers.postgres.kind === 'existing' && providers.vault.kind === 'server') {
      problems.push(`The lab's Vault is not running, so it could not revoke the users it created in your PostgreSQL at ${providers.postgres.host}:${providers.postgres.port}: drop the roles named v-…-vault-role-dynamic-… by hand (they expire within a day).`)
    }
    if (vault && providers.vault.kind === 'existing') {
      for (const entry of entries.filter((item) => item.in === 'vault' && !covered(item))) {
        const path = (entry as { path: string }).path
        try {
          // a transit key refuses deletion until its config allows it
          if (/^[^/]+\/keys\/[^/]+$/.test(path) && path.startsWith(`${TUTORIAL.transit.mount}/`)) await vault.client.request({ method: 'POST', path: `${path}/config`, token: vault.token, body: { deletion_allowed: true } })
          await vault.client.request({ method: 'DELETE', path, token: vault.token })
          actions.push(`removed ${entry.what} from ${providers.vault.address}`)
        } catch (error) {
          if (error instanceof VaultError && error.status === 404) continue
          problems.push(`Could not remove ${entry.what} (${path}) from ${providers.vault.address}: ${(error as Error).message}`)
        }
      }
    }
  } finally {
    vault?.client.close()
  }

  // Kubernetes: a cluster of the lab's own goes whole; in the user's, only what the lab created
  const cluster = providers.cluster
  if (cluster.kind === 'kind' || cluster.kind === 'minikube') {
    try {
      actions.push(await deleteCluster(cluster, paths.kubeconfig))
    } catch (error) {
      problems.push(`Could not delete the lab's ${cluster.kind} cluster: ${(error as Error).message.split('\n')[0]}. Delete it by hand (${cluster.kind === 'kind' ? `kind delete cluster --name ${cluster.name}` : `minikube delete -p ${cluster.profile}`}).`)
    }
  }
  if (cluster.kind === 'context' && entries.some((entry) => entry.in !== 'vault')) {
    const loaded = loadKubeConfig({ ...env, KUBECONFIG: cluster.kubeconfig.join(':') })
    if (!loaded) {
      problems.push(`The kubeconfig ${cluster.kubeconfig.join(':')} is gone, so the lab cannot remove what it created in kube-context ${cluster.context}: ${entries.filter((entry) => entry.in !== 'vault').map((entry) => entry.what).join('; ')}.`)
      return
    }
    const api = new KubeApi(configForContext(loaded, cluster.context))
    const labNamespaces = entries.flatMap((entry) => (entry.in === 'kube' ? (/^\/api\/v1\/namespaces\/([^/]+)$/.exec(entry.path)?.[1] ?? []) : []))
    const deleted = (entry: CreatedEntry) => actions.push(`deleted ${entry.what} from kube-context ${cluster.context}`)
    const failed = (entry: CreatedEntry, error: unknown) => {
      if ((error as { status?: number }).status !== 404) problems.push(`Could not delete ${entry.what} from kube-context ${cluster.context}: ${(error as Error).message}`)
    }
    try {
      for (const entry of entries.filter((item) => item.in === 'kube' && !covered(item))) {
        await patiently(() => api.delete((entry as { path: string }).path)).then(() => deleted(entry), (error: unknown) => failed(entry, error))
      }
      // a CRD goes only when no resource of it is left outside the lab's namespaces: deleting it would delete those
      // too. All are looked at before any is deleted, as the apiserver re-initializes its storage after each deletion.
      const crds = entries.filter((item): item is Extract<CreatedEntry, { in: 'kube-crd' }> => item.in === 'kube-crd')
      const others = await Promise.all(
        crds.map(async (entry) => {
          const plural = entry.name.split('.')[0]!
          try {
            const list = await patiently(() => kubeGet<{ items: { metadata: { namespace: string; name: string } }[] }>(api, `/apis/${entry.name.slice(plural.length + 1)}/v1beta1/${plural}`))
            return (list?.items ?? []).filter((item) => !labNamespaces.includes(item.metadata.namespace))
          } catch (error) {
            return error as Error
          }
        }),
      )
      for (const [index, entry] of crds.entries()) {
        const left = others[index]!
        if (left instanceof Error) {
          problems.push(`Kept CRD ${entry.name}, which the lab installed: could not tell whether resources of it live outside the lab's namespaces (${left.message}). Delete it by hand once none do.`)
        } else if (left.length > 0) {
          problems.push(`Kept CRD ${entry.name}, which the lab installed: ${left.length} resource(s) of it now live outside the lab's namespaces (${left.slice(0, 3).map((item) => `${item.metadata.namespace}/${item.metadata.name}`).join(', ')}).`)
        } else {
          await patiently(() => api.delete(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${entry.name}`)).then(() => deleted(entry), (error: unknown) => failed(entry, error))
        }
      }
    } finally {
      api.close()
    }
  }
}

