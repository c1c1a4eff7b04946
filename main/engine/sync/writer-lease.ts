// One writer per cluster. Two copies of the sync engine on one kube-context take each other's writes for drift
// and mint credentials in a loop, so a copy writes only while it holds the writer Lease, as VSO's replicas do
// (controller-runtime's leader election). The Lease has VSO's own name, so VSO and Vault Tray exclude each
// other both ways when they share the operator namespace. A second copy on the same machine is refused at
// once by a lock file in the runtime directory, before it gets as far as the Lease.
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import type { Clock } from '../clock.ts'
import { isConflict, isNotFound, KubeError, type KubeApi } from '../kube/api.ts'
import { VAULT_TRAY_HOLDER_PREFIX, VSO_LEADER_LEASE } from '../kube/vso-detect.ts'
import { ensureNamespace } from './hmac.ts'

/** controller-runtime's defaults: a Lease lasts 15 s, renewed every 2 s, given up after 10 s without a renewal. */
export const LEASE_TIMING = { durationMs: 15_000, retryMs: 2_000, renewDeadlineMs: 10_000 }

/** Names the machine, the user and the process, and one engine in it (tests run several in one process). */
export function writerIdentity(): string {
  return `${VAULT_TRAY_HOLDER_PREFIX}${userInfo().username}@${hostname()} pid ${process.pid} #${randomBytes(3).toString('hex')}`
}

export interface LeaseSpec {
  holderIdentity?: string
  leaseDurationSeconds?: number
  acquireTime?: string
  renewTime?: string
  leaseTransitions?: number
}

export interface LeaseObject {
  apiVersion?: string
  kind?: string
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> }
  spec?: LeaseSpec
}

/** What the window and the log say about who writes. */
export interface WriterStatus {
  /** True while this engine holds every Lease it needs. */
  leader: boolean
  /** The Leases it takes: namespace/name. */
  leases: string[]
  identity: string
  /** Who holds a Lease it wants, when that is someone else, and since when (ms since the epoch). */
  holder?: { identity: string; lease: string; since?: number }
  /** A plain sentence: why it writes or why it only observes, and what to do. */
  reason: string
}

/**
 * What to do with a Lease as it is now. `observedAt` is when this engine last saw the record change: a Lease
 * held by someone else expires by our own clock, as client-go decides it, so clocks that disagree across
 * machines cannot make two writers.
 */
export function leaseDecision(lease: LeaseObject | undefined, identity: string, now: number, observedAt: number): 'create' | 'renew' | 'take' | 'held' {
  if (!lease) return 'create'
  const holder = lease.spec?.holderIdentity
  if (holder === identity) return 'renew'
  if (!holder) return 'take' // released by a clean stop
  const durationMs = (lease.spec?.leaseDurationSeconds ?? LEASE_TIMING.durationMs / 1000) * 1000
  return now >= observedAt + durationMs ? 'take' : 'held'
}

/** Kubernetes MicroTime: RFC 3339 with six fractional digits. */
export const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')

export class WriterLockHeld extends Error {
  constructor(
    readonly holder: { pid: number; identity: string; startedAt: number },
    readonly file: string,
    scope: string,
  ) {
    super(
      `Another Vault Tray (pid ${holder.pid}, started ${new Date(holder.startedAt).toISOString()}) already syncs ${scope} from this machine: ` +
        `two writers would take each other's writes for drift and mint credentials in a loop. Stop that one (kill ${holder.pid}), or start this one with --mode observe. (lock: ${file})`,
    )
    this.name = 'WriterLockHeld'
  }
}

/** `$XDG_RUNTIME_DIR/vault-tray`, or a per-user folder in the temporary directory where there is none. */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'vault-tray') : join(tmpdir(), `vault-tray-${userInfo().uid}`)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * A lock file per kube-context and namespace scope, created exclusively. A lock whose process is gone is stale and
 * taken; one held by a live process (or another engine of this one) is refused with who holds it.
 */
export function takeLocalLock(dir: string, key: string, scope: string, identity: string): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, `sync-${createHash('sha256').update(key).digest('hex').slice(0, 16)}.lock`)
  const mine = JSON.stringify({ pid: process.pid, identity, startedAt: Date.now(), scope })
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, mine, { flag: 'wx', mode: 0o600 })
      return () => {
        try {
          if (readFileSync(file, 'utf8') === mine) rmSync(file)
        } catch {
          // already gone
        }
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    let holder: { pid: number; identity: string; startedAt: number } | undefined
    try {
      holder = JSON.parse(readFileSync(file, 'utf8')) as typeof holder
    } catch {
      // half written or unreadable: treated as stale
    }
    if (holder && Number.isInteger(holder.pid) && alive(holder.pid) && holder.identity !== identity) throw new WriterLockHeld(holder, file, scope)
    rmSync(file, { force: true })
  }
  throw new Error(`Could not take the lock ${file}: it came back each time it was removed. Is another Vault Tray starting?`)
}

export interface WriterElectionOptions {
  kube: KubeApi
  clock: Clock
  identity: string
  /** The Leases to hold, as namespace/name: the operator namespace's for the whole cluster, or one per synced namespace. */
  leases: { namespace: string; name: string }[]
  /** A Lease of the whole cluster that a namespace-scoped engine yields to while someone else holds it. */
  yieldTo?: { namespace: string; name: string }
  /** The one namespace the election may create for its Lease (the operator's, as the HMAC key does); never a user's. */
  operatorNamespace?: string
  timing?: typeof LEASE_TIMING
  onChange: (status: WriterStatus) => void
}

/** Holds the writer Leases while running: renewed every retry period, released on stop, taken over when expired. */
export class WriterElection {
  readonly #options: WriterElectionOptions & { timing: typeof LEASE_TIMING }
  /** Per Lease: the record as last seen, and when (by our clock) it last changed. */
  readonly #observed = new Map<string, { record: string; at: number }>()
  #lastRenewed = 0
  #status: WriterStatus
  #cancel: (() => void) | undefined
  #stopped = false
  #takeOver = false

  constructor(options: WriterElectionOptions) {
    this.#options = { ...options, timing: options.timing ?? LEASE_TIMING }
    this.#status = { leader: false, leases: options.leases.map(leaseName), identity: options.identity, reason: 'not yet tried to take the writer Lease' }
  }

  get status(): WriterStatus {
    return this.#status
  }

  /** One round now (so the caller knows whether it writes), then one every retry period. */
  async start(): Promise<WriterStatus> {
    await this.#round()
    this.#next()
    return this.#status
  }

  /** Takes the Leases even though someone else holds them: that copy stops writing at its next renewal. */
  async takeOver(): Promise<WriterStatus> {
    this.#takeOver = true
    await this.#round()
    return this.#status
  }

  /** Stops renewing and releases the Leases (holder emptied), so the next copy need not wait for them to expire. */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#cancel?.()
    const { kube, identity, clock } = this.#options
    await Promise.all(
      this.#options.leases.map(async ({ namespace, name }) => {
        try {
          const lease = await kube.get<LeaseObject>(leasePath(namespace, name))
          if (lease.spec?.holderIdentity !== identity) return
          const now = microTime(clock.now())
          await kube.request({ method: 'PUT', path: leasePath(namespace, name), body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now } } })
        } catch {
          // it expires by itself within its duration
        }
      }),
    )
  }

  #next(): void {
    if (this.#stopped) return
    this.#cancel = this.#options.clock.schedule(() => void this.#round().finally(() => this.#next()), this.#options.timing.retryMs)
  }

  async #round(): Promise<void> {
    const { identity, clock, timing } = this.#options
    let holder: WriterStatus['holder']
    let problem: string | undefined
    try {
      if (this.#options.yieldTo) {
        const other = await this.#read(this.#options.yieldTo)
        const decision = leaseDecision(other, identity, clock.now(), this.#observedAt(this.#options.yieldTo, other))
        if (decision === 'held' && other && !this.#takeOver) holder = holderOf(other, this.#options.yieldTo)
      }
      if (!holder) {
        for (const ref of this.#options.leases) {
          const lease = await this.#read(ref)
          const decision = this.#takeOver ? (lease?.spec?.holderIdentity === identity ? 'renew' : lease ? 'take' : 'create') : leaseDecision(lease, identity, clock.now(), this.#observedAt(ref, lease))
          if (decision === 'held') {
            holder = holderOf(lease!, ref)
            break
          }
          await this.#write(ref, lease, decision)
        }
      }
      this.#takeOver = false
      if (!holder) this.#lastRenewed = clock.now()
    } catch (error) {
      problem = error instanceof KubeError && error.status === 403 ? `this kube-context may not get, create and update leases.coordination.k8s.io in ${this.#status.leases.join(', ')} (403): ask for them, or start with --mode observe` : (error as Error).message
    }
    const stillRenewed = !holder && clock.now() - this.#lastRenewed < timing.renewDeadlineMs
    const leader = !holder && (problem === undefined || (this.#status.leader && stillRenewed))
    const reason = holder
      ? `${holder.identity} holds the writer Lease ${holder.lease}${holder.since ? ` since ${new Date(holder.since).toISOString()}` : ''}: observing only. Stop that copy, or take over.`
      : leader
        ? `holds the writer Lease ${this.#status.leases.join(', ')}${problem ? ` (renewal failing: ${problem})` : ''}`
        : `could not take the writer Lease ${this.#status.leases.join(', ')}: ${problem}; observing only until it can`
    const status: WriterStatus = { leader, leases: this.#status.leases, identity, ...(holder ? { holder } : {}), reason }
    const changed = status.leader !== this.#status.leader || status.holder?.identity !== this.#status.holder?.identity || (!leader && status.reason !== this.#status.reason)
    this.#status = status
    if (changed && !this.#stopped) this.#options.onChange(status)
  }

  async #read(ref: { namespace: string; name: string }): Promise<LeaseObject | undefined> {
    try {
      return await this.#options.kube.get<LeaseObject>(leasePath(ref.namespace, ref.name))
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
  }

  #observedAt(ref: { namespace: string; name: string }, lease: LeaseObject | undefined): number {
    const key = leaseName(ref)
    const record = JSON.stringify(lease?.spec ?? null)
    const seen = this.#observed.get(key)
    if (seen?.record === record) return seen.at
    const at = this.#options.clock.now()
    this.#observed.set(key, { record, at })
    return at
  }

  async #write(ref: { namespace: string; name: string }, lease: LeaseObject | undefined, decision: 'create' | 'renew' | 'take'): Promise<void> {
    const { kube, identity, clock, timing } = this.#options
    const now = microTime(clock.now())
    const spec: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.round(timing.durationMs / 1000),
      acquireTime: decision === 'renew' ? (lease?.spec?.acquireTime ?? now) : now,
      renewTime: now,
      leaseTransitions: (lease?.spec?.leaseTransitions ?? 0) + (decision === 'take' ? 1 : 0),
    }
    try {
      if (decision === 'create') {
        const body = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: ref.name, namespace: ref.namespace, labels: { 'app.kubernetes.io/managed-by': 'vault-tray' } }, spec }
        await kube.create(`/apis/coordination.k8s.io/v1/namespaces/${ref.namespace}/leases`, body).catch(async (error: unknown) => {
          if (!isNotFound(error) || ref.namespace !== this.#options.operatorNamespace) throw error
          await ensureNamespace(kube, ref.namespace)
          await kube.create(`/apis/coordination.k8s.io/v1/namespaces/${ref.namespace}/leases`, body)
        })
      } else {
        // a conditional update (resourceVersion): of two copies taking an expired Lease, one wins
        await kube.request({ method: 'PUT', path: leasePath(ref.namespace, ref.name), body: { ...lease, spec } })
      }
      this.#observedAt(ref, { metadata: { name: ref.name, namespace: ref.namespace }, spec })
    } catch (error) {
      if (!isConflict(error)) throw error
      throw new Error(`another copy changed the writer Lease ${leaseName(ref)} at the same moment; trying again`, { cause: error })
    }
  }
}

function holderOf(lease: LeaseObject, ref: { namespace: string; name: string }): NonNullable<WriterStatus['holder']> {
  const since = Date.parse(lease.spec?.acquireTime ?? '')
  return { identity: lease.spec?.holderIdentity ?? '', lease: leaseName(ref), ...(Number.isFinite(since) ? { since } : {}) }
}

const leaseName = (ref: { namespace: string; name: string }) => `${ref.namespace}/${ref.name}`
const leasePath = (namespace: string, name: string) => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`

/**
 * The Leases an engine takes: VSO's Lease in the operator namespace when it syncs the whole cluster; one per
 * namespace when it syncs only some (a user who may write only there can still sync), yielding to a copy that
 * holds the cluster's.
 */
export function writerLeases(operatorNamespace: string, namespaces: string[] | undefined): Pick<WriterElectionOptions, 'leases' | 'yieldTo'> {
  const cluster = { namespace: operatorNamespace, name: VSO_LEADER_LEASE }
  if (!namespaces?.length) return { leases: [cluster] }
  return { leases: [...new Set(namespaces)].sort().map((namespace) => ({ namespace, name: VSO_LEADER_LEASE })), yieldTo: cluster }
}
