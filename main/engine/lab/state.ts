// The lab's directory and what it remembers between commands: which providers it chose, the pid and ports of
// every server it started, and what it created in servers that are not its own (so `down` removes exactly that).
// Written before each thing is started or created, so an interrupted `up` never leaves what `down` cannot find.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { isAlive } from './process.ts'

/** `$XDG_DATA_HOME/vault-tray/lab`, i.e. `~/.local/share/vault-tray/lab` by default. */
export function defaultLabDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share'), 'vault-tray', 'lab')
}

export type LabServerName = 'vault' | 'etcd' | 'kube-apiserver' | 'postgres'

export class LabPaths {
  readonly dir: string
  constructor(dir: string) {
    this.dir = resolve(dir)
  }
  get state() {
    return join(this.dir, 'state.json')
  }
  get lock() {
    return join(this.dir, 'lock')
  }
  get logs() {
    return join(this.dir, 'logs')
  }
  log(name: string) {
    return join(this.dir, 'logs', `${name}.log`)
  }
  /** Where a server keeps its data and configuration. */
  server(name: 'vault' | 'etcd' | 'kube' | 'postgres') {
    return join(this.dir, name)
  }
  get kubeconfig() {
    return join(this.dir, 'kube', 'kubeconfig')
  }
  /** Only when the OS keychain cannot be used (see secrets.ts). */
  get secretsFile() {
    return join(this.dir, 'secrets.json')
  }
}

export interface ServerRecord {
  pid: number
  /** The port on 127.0.0.1 clients use; `ports` holds any others (Vault's cluster port). */
  port?: number
  /** The Unix socket clients use instead, for a server that no port may expose (etcd). */
  socket?: string
  ports?: Record<string, number>
  /** What it was started with; a server whose wanted command line differs is restarted. */
  fingerprint: string
  log: string
  startedAt: string
}

/** Where clients reach a server: its socket, or 127.0.0.1:port. */
export function listensOn(record: ServerRecord): string {
  return record.socket ?? `127.0.0.1:${record.port ?? '?'}`
}

/** Something `up` created in a server the lab does not own, and `down` removes. */
export type CreatedEntry =
  | { in: 'vault'; path: string; what: string }
  | { in: 'kube'; path: string; what: string }
  | { in: 'kube-crd'; name: string; what: string }

export type StepId = 'vault' | 'cluster' | 'postgres' | 'kube-base' | 'crds' | 'kubernetes-auth' | 'static' | 'database' | 'transit' | 'resources' | 'sync'

export interface StepRecord {
  ok: boolean
  at: string
  ms: number
  /** The step's error message when it failed (never a secret). */
  error?: string
}

/** The providers as chosen at the first `up`, in a form that survives JSON. */
export type VaultProviderState = { kind: 'server'; binary: string; flavor: 'openbao' | 'vault'; version: string } | { kind: 'existing'; address: string }
export type ClusterProviderState =
  | { kind: 'local'; etcd: string; kubeApiserver: string }
  | { kind: 'kind'; binary: string; name: string }
  | { kind: 'minikube'; binary: string; profile: string }
  | { kind: 'context'; context: string; kubeconfig: string[] }
export type PostgresProviderState = { kind: 'local'; binDir: string } | { kind: 'existing'; host: string; port: number; user: string; database: string; ssl: boolean }

export interface LabState {
  version: 1
  createdAt: string
  updatedAt: string
  providers?: { vault: VaultProviderState; cluster: ClusterProviderState; postgres: PostgresProviderState }
  servers: Partial<Record<LabServerName, ServerRecord>>
  created: CreatedEntry[]
  /** The token reviewer's JWT is not readable back from Vault: what it was issued for, and until when. */
  reviewer?: { serviceAccountUid: string; host: string; expiresAt: number }
  steps: Partial<Record<StepId, StepRecord>>
  /** Where the root token and unseal key are. */
  secrets?: 'keychain' | 'file'
}

export function emptyState(): LabState {
  const now = new Date().toISOString()
  return { version: 1, createdAt: now, updatedAt: now, servers: {}, created: [], steps: {} }
}

export class LabStateError extends Error {}

export function readState(paths: LabPaths): LabState | undefined {
  if (!existsSync(paths.state)) return undefined
  try {
    const state = JSON.parse(readFileSync(paths.state, 'utf8')) as LabState
    if (state.version !== 1) throw new Error(`version ${String(state.version)} is not one this Vault Tray knows`)
    return { ...emptyState(), ...state }
  } catch (error) {
    throw new LabStateError(`The lab's state file ${paths.state} cannot be read (${(error as Error).message}). \`vault-tray lab down --dir ${paths.dir}\` still removes what the lab started; then \`lab up\` starts afresh.`, { cause: error })
  }
}

/** The state as it is on disk, saved again (atomically, mode 0600) after every change. */
export class StateStore {
  constructor(
    readonly paths: LabPaths,
    readonly state: LabState,
  ) {}

  update(change: (state: LabState) => void): void {
    change(this.state)
    this.state.updatedAt = new Date().toISOString()
    this.save()
  }

  save(): void {
    const temporary = `${this.paths.state}.${process.pid}.tmp`
    writeFileSync(temporary, `${JSON.stringify(this.state, null, 2)}\n`, { mode: 0o600 })
    renameSync(temporary, this.paths.state)
  }

  /** Remembers something created in a server the lab does not own, before it is created. */
  created(entry: CreatedEntry): void {
    const same = (other: CreatedEntry) => JSON.stringify(other) === JSON.stringify(entry)
    if (!this.state.created.some(same)) this.update((state) => state.created.push(entry))
  }

  /** Whether the lab created this path, or the mount or namespace it lives in. */
  createdPath(system: 'vault' | 'kube', path: string): boolean {
    return this.state.created.some((entry) => entry.in === system && covers(entry.path, path))
  }
}

/** `sys/mounts/static` covers `static/data/…`, `sys/auth/kubernetes` covers `auth/kubernetes/role/…`, a namespace its objects. */
export function covers(created: string, path: string): boolean {
  if (created === path) return true
  const mount = /^sys\/mounts\/(.+)$/.exec(created)?.[1]
  if (mount) return path.startsWith(`${mount}/`)
  const auth = /^sys\/auth\/(.+)$/.exec(created)?.[1]
  if (auth) return path.startsWith(`auth/${auth}/`)
  const namespace = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(created)?.[1]
  if (namespace) return path.includes(`/namespaces/${namespace}/`)
  return false
}

export function ensureLabDir(paths: LabPaths): void {
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 })
  mkdirSync(paths.logs, { recursive: true, mode: 0o700 })
}

export class LabBusyError extends Error {}

/**
 * One command at a time per lab directory: a lock file naming the pid that holds it. A lock whose process is
 * gone (killed, crashed) is taken over.
 */
export function acquireLock(paths: LabPaths): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(paths.lock, 'wx', 0o600)
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(paths.lock, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = Number(readFileSync(paths.lock, 'utf8'))
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new LabBusyError(`Another vault-tray lab command (pid ${holder}) is working on ${paths.dir}. Wait for it to finish, or stop it (Ctrl-C in its terminal), then try again.`)
      }
      rmSync(paths.lock, { force: true })
    }
  }
  throw new LabBusyError(`Could not lock ${paths.lock}: another command keeps taking it. Try again.`)
}
