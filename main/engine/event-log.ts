// The engine's event log: what the Events view lists, as one line per thing that happened, kept in a ring of
// the newest 100,000. It turns the bus's events into EngineLogEntry lines; every message is the engine's own,
// which already masks lease ids and never holds a secret value.
import type { EngineLogEntry, HealthReport, SyncRecord } from '../contract/index.ts'
import type { EngineEvents } from './engine-events.ts'
import type { EventBus } from './events.ts'
import type { StepEvent } from './lab/runner.ts'
import type { ProxyEvent } from './proxy/events.ts'
import { describeFeedStatus } from './vault/changes.ts'
import { maskPath } from './vault/renewal.ts'
import type { VaultSessionEvent } from './vault/session.ts'

export type LogLine = Omit<EngineLogEntry, 'seq' | 'at'>

export const EVENT_LOG_CAPACITY = 100_000

export class EventLog {
  readonly #ring: (EngineLogEntry | undefined)[]
  readonly #listeners = new Set<(entry: EngineLogEntry) => void>()
  /** The seq of the newest entry; entries are numbered 1, 2, 3 … without gaps. */
  #last = 0

  constructor(
    readonly capacity = EVENT_LOG_CAPACITY,
    private readonly now: () => number = Date.now,
  ) {
    this.#ring = new Array<EngineLogEntry | undefined>(capacity)
  }

  /** The oldest seq still kept (last + 1 while the log is empty). */
  get first(): number {
    return Math.max(1, this.#last - this.capacity + 1)
  }

  get last(): number {
    return this.#last
  }

  append(line: LogLine): EngineLogEntry {
    const entry: EngineLogEntry = { seq: ++this.#last, at: this.now(), ...line }
    this.#ring[entry.seq % this.capacity] = entry
    for (const listener of this.#listeners) listener(entry)
    return entry
  }

  /** Up to `limit` entries after `afterSeq`, oldest first; those dropped from the ring are skipped. */
  since(afterSeq: number, limit: number): { events: EngineLogEntry[]; first: number; last: number } {
    const first = this.first
    const from = Math.max(afterSeq + 1, first)
    const to = Math.min(this.#last, from + limit - 1)
    const events: EngineLogEntry[] = []
    for (let seq = from; seq <= to; seq++) events.push(this.#ring[seq % this.capacity]!)
    return { events, first: Math.min(first, this.#last + 1), last: this.#last }
  }

  /** Calls the listener with each entry appended from now on; returns the function that stops it. */
  onAppend(listener: (entry: EngineLogEntry) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Feeds the log from the engine's bus; returns the function that stops it. */
  follow(bus: EventBus<EngineEvents>): () => void {
    const health = healthTransitions()
    const records = new Map<string, SyncRecord>()
    const add = (line: LogLine | undefined) => line && this.append(line)
    const off = [
      bus.on('health', (report) => health(report).forEach(add)),
      bus.on('vault', (event) => add(vaultLine(event))),
      bus.on('proxy', (event) => add(proxyLine(event))),
      bus.on('lab', (event) => add(labLine(event))),
      bus.on('sync', (event) => {
        switch (event.kind) {
          case 'record':
            add(recordLine(records.get(event.record.key), event.record))
            records.set(event.record.key, event.record)
            return
          case 'removed':
            records.delete(event.key)
            return add({ source: 'sync', severity: 'info', ...where(event.key), message: 'deleted: no longer synced' })
          case 'mode':
            return add({ source: 'sync', severity: 'info', message: `${event.context}: ${event.mode === 'write' ? 'syncing' : 'observing only'} (${event.evidence.join('; ')})` })
          case 'watch':
            return add({ source: 'kubernetes', severity: event.ok ? 'info' : 'warning', message: event.message })
          case 'lease-revoked':
            return add({ source: 'renewal', severity: event.ok ? 'info' : 'error', ...where(event.key), message: event.message })
          case 'kube-event':
            return add({ source: 'kubernetes', severity: event.type === 'Warning' ? 'warning' : 'info', ...where(event.key), message: `${event.reason}: ${event.message}` })
        }
      }),
    ]
    return () => off.forEach((unsubscribe) => unsubscribe())
  }
}

/** namespace and resource of a sync key (Kind/namespace/name). */
function where(key: string): { namespace?: string; resource: string } {
  return { namespace: key.split('/')[1], resource: key }
}

/**
 * A record is logged when its state changes or it did something (synced, rotated, renewed, repaired drift); a
 * reconcile that found nothing to do, or a retry that failed the same way again, is not news.
 */
export function recordLine(previous: SyncRecord | undefined, record: SyncRecord): LogLine | undefined {
  const failing = record.state === 'failing' || record.state === 'invalid'
  if (previous?.state === record.state && (record.message === 'unchanged' || (failing && previous.message === record.message))) return undefined
  const source = record.message === 'rotated' ? 'rotation' : record.message === 'renewed' ? 'renewal' : 'sync'
  // the entry names the resource apart; the message says what became of it: "synced", "synced: rotated", "failing: <cause> <fix>"
  const why = record.diagnosis ? `${record.diagnosis.cause} ${record.diagnosis.fix}` : record.message
  return { source, severity: failing ? 'error' : 'info', ...where(record.key), message: why === record.state ? why : `${record.state}: ${why}` }
}

/** Only what changes: the first report, then Vault sealed/unsealed/unreachable and the cluster lost/back. */
export function healthTransitions(): (report: HealthReport) => LogLine[] {
  let vault: string | undefined
  let kube: string | undefined
  return ({ vault: v, kube: k }) => {
    const lines: LogLine[] = []
    const vaultState = !v.reachable ? 'unreachable' : !v.initialized ? 'uninitialized' : v.sealed ? 'sealed' : 'unsealed'
    if (vaultState !== vault) {
      const detail = v.reachable ? `${vaultState} (version ${v.version}${v.standby ? ', standby' : ''})` : `unreachable: ${v.error}`
      lines.push({ source: 'vault', severity: vaultState === 'unsealed' ? 'info' : 'error', message: `Vault at ${v.address} is ${detail}` })
      vault = vaultState
    }
    const kubeState = k.context === undefined ? 'none' : k.reachable ? 'reachable' : 'unreachable'
    if (kubeState !== kube) {
      const message = k.reachable ? `kube-context "${k.context}" is reachable (${k.version})` : k.error
      lines.push({ source: 'kubernetes', severity: kubeState === 'reachable' ? 'info' : kubeState === 'none' ? 'warning' : 'error', message })
      kube = kubeState
    }
    return lines
  }
}

export function vaultLine(event: VaultSessionEvent): LogLine {
  if (event.source === 'cache') return { source: 'vault', severity: 'warning', message: `could not save the client cache: ${event.event.message}` }
  if (event.source === 'token') {
    const token = event.event
    if (token.kind === 'error') return { source: 'vault', severity: 'error', message: `Vault token: ${token.message}` }
    if (token.kind === 'revoked') return { source: 'vault', severity: 'info', message: 'Vault token revoked' }
    const renewable = token.renewable ? 'renewable' : 'not renewable'
    return { source: token.kind === 'renewed' ? 'renewal' : 'vault', severity: 'info', message: `Vault token ${token.kind} (${token.method}, ttl ${token.ttlSeconds} s, ${renewable})` }
  }
  const lease = event.event
  const what = `lease ${lease.leaseId} (${lease.path})`
  const detail = lease.message ? `: ${lease.message}` : ''
  switch (lease.kind) {
    case 'rotated':
      return { source: 'rotation', severity: 'info', message: `${what} rotated: new credentials${detail}` }
    case 'renewed':
      return { source: 'renewal', severity: 'info', message: `${what} renewed, ttl ${lease.ttlSeconds} s${detail}` }
    case 'truncated':
      return { source: 'renewal', severity: 'warning', message: `${what} renewed short of its ttl (max ttl near), ${lease.ttlSeconds} s left${detail}` }
    case 'renew-failed':
      return { source: 'renewal', severity: 'warning', message: `${what} could not be renewed${detail}` }
    case 'lost':
      return { source: 'renewal', severity: 'error', message: `${what} lost${detail}` }
    default:
      return { source: lease.kind === 'revoked' ? 'renewal' : 'vault', severity: 'info', message: `${what} ${lease.kind}${detail}` }
  }
}

/**
 * The proxy's events as lines; undefined for a request that succeeded. Those are counted (the Proxy view, the
 * metrics) but not logged: a busy proxy answers thousands a second, which would push everything else out of the log.
 */
export function proxyLine(event: ProxyEvent): LogLine | undefined {
  switch (event.kind) {
    case 'request':
      if (event.status < 400) return undefined
      return { source: 'proxy', severity: event.status >= 500 ? 'warning' : 'info', message: `${event.method} ${maskPath(event.path)} ${event.status}${event.cache ? ` ${event.cache}` : ''} ${Math.round(event.ms)} ms` }
    case 'upstream-error':
      return { source: 'proxy', severity: 'error', message: `${maskPath(event.path)}: Vault could not be reached: ${event.message}` }
    case 'save-failed':
      return { source: 'proxy', severity: 'warning', message: event.message }
    case 'freshness':
      return { source: 'proxy', severity: 'info', message: `cached secrets kept fresh by ${describeFeedStatus(event.status)}` }
    case 'feed-problem':
      return { source: 'proxy', severity: 'warning', message: event.message }
    case 'evicted':
      return { source: 'proxy', severity: 'info', message: `evicted ${event.secret} (${event.cause})` }
    case 'capabilities-refreshed':
      return { source: 'proxy', severity: 'info', message: `capabilities checked again: ${event.paths} paths, ${event.removed} no longer readable` }
    case 'capability-removed':
      return { source: 'proxy', severity: 'info', message: `${event.secret} no longer readable: ${event.reason}` }
    case 'restored':
      return { source: 'proxy', severity: event.problem ? 'warning' : 'info', message: `${event.persistent ? `cache kept across restarts in ${event.file}: ${event.restored} entries restored` : 'cache in memory this run'}${event.problem ? `; ${event.problem}` : ''}` }
    default:
      return { source: 'proxy', severity: 'info', message: `lease ${event.leaseId} ${event.kind.replace('lease-', '')}${event.reason ? `: ${event.reason}` : ''}` }
  }
}

export function labLine(event: StepEvent): LogLine {
  switch (event.kind) {
    case 'start':
      return { source: 'lab', severity: 'info', message: `${event.title}…` }
    case 'done':
      return { source: 'lab', severity: 'info', message: `${event.title}: done in ${(event.ms / 1000).toFixed(1)} s${event.changes.length ? ` (${event.changes.join(', ')})` : ''}` }
    case 'failed':
      return { source: 'lab', severity: 'error', message: `${event.title}: failed: ${event.error}` }
    case 'skipped':
      return { source: 'lab', severity: 'info', message: `${event.title}: skipped (${event.reason})` }
  }
}
