// Change notifications for KV v2 secrets: Vault's event stream where the server has it (Vault Enterprise
// 1.16+), KV v2 metadata polling where it does not (OpenBao, Vault community): `current_version`,
// `updated_time` and each version's deletion and destruction, so a delete made elsewhere is seen too. Both
// feed the same listeners; when the stream drops, polling covers the gap until it is back.
import WebSocket from 'ws'
import type { Clock } from '../clock.ts'
import { VaultError, type VaultClient } from './client.ts'
import { withDefaults } from '../options.ts'
import { trimSlashes as trim } from './paths.ts'

export interface KvChange {
  mount: string
  /** Path inside the mount, without `data/`. */
  path: string
  /** The new current_version, when known; undefined when the secret's metadata is gone. */
  version: number | undefined
  via: 'events' | 'polling'
}

export type ChangeFeedStatus = { mode: 'events' } | { mode: 'polling'; reason: string }

export interface ChangeFeedOptions {
  clock: Clock
  /** How often polling reads each watched secret's metadata. */
  pollIntervalMs?: number
  onStatus?: (status: ChangeFeedStatus) => void
  /** Longest wait between reconnection attempts of the event stream. */
  maxBackoffMs?: number
  /** An event message the feed could not read (said once per feed); it reads every watched secret again instead. */
  onProblem?: (problem: string) => void
}

type Listener = (change: KvChange) => void

interface Watch {
  mount: string
  path: string
  listeners: Set<Listener>
  version: number | undefined
  /** What polling last saw of the metadata; a change of any part of it is a change of the secret. */
  seen: string | undefined
  token: () => Promise<string>
  /** KV v1 has no metadata to poll: such a watch hears events only. */
  kv: 1 | 2
}

interface KvMetadata {
  current_version: number
  updated_time?: string
  versions?: Record<string, { deletion_time?: string; destroyed?: boolean }>
}

const EVENT_TYPES = 'kv*'
/** Metadata reads of one polling round in flight at once. */
const POLL_CONCURRENCY = 8

export class KvChangeFeed {
  readonly #watches = new Map<string, Watch>()
  readonly #options: Required<ChangeFeedOptions>
  #status: ChangeFeedStatus = { mode: 'polling', reason: 'not started' }
  #socket: WebSocket | undefined
  /** The stream was open once: a later open follows a gap. */
  #opened = false
  #cancelPoll: (() => void) | undefined
  #cancelReconnect: (() => void) | undefined
  #attempt = 0
  #stopped = false
  #warnedUnreadable = false
  /** The re-read that an unreadable message started: more such messages while it runs wait for it. */
  #gapPoll: Promise<void> | undefined

  constructor(
    private readonly client: VaultClient,
    private readonly token: () => Promise<string>,
    options: ChangeFeedOptions,
  ) {
    this.#options = withDefaults({ pollIntervalMs: 30_000, onStatus: () => {}, maxBackoffMs: 30_000, onProblem: () => {} }, options)
  }

  get status(): ChangeFeedStatus {
    return this.#status
  }

  /**
   * Calls the listener whenever the secret at mount/path changes; returns the function that stops it.
   * `token` reads this secret's metadata when polling, if it is not the feed's own token. A KV v1 secret (`kv: 1`)
   * has no metadata: it is told of changes by events only, and never while the feed polls.
   */
  watch(mount: string, path: string, listener: Listener, token: () => Promise<string> = this.token, kv: 1 | 2 = 2): () => void {
    const key = `${trim(mount)}/${trim(path)}`
    let watch = this.#watches.get(key)
    if (!watch) {
      watch = { mount: trim(mount), path: trim(path), listeners: new Set(), version: undefined, seen: undefined, token, kv }
      this.#watches.set(key, watch)
      // what we start from, so the first poll does not report a change that is not one
      if (kv === 2) void this.#read(watch).then(({ version, seen }) => {
        watch!.version ??= version
        watch!.seen ??= seen
      }, () => {})
    }
    watch.listeners.add(listener)
    return () => {
      watch!.listeners.delete(listener)
      if (watch!.listeners.size === 0) this.#watches.delete(key)
    }
  }

  /** Subscribes to the event stream if the server offers one; otherwise polls. */
  async start(): Promise<ChangeFeedStatus> {
    this.#stopped = false
    await this.#connect()
    return this.#status
  }

  stop(): void {
    this.#stopped = true
    this.#cancelPoll?.()
    this.#cancelReconnect?.()
    this.#socket?.terminate()
    this.#socket = undefined
  }

  /**
   * One polling round now: reads every watched secret's metadata and reports what changed, a few reads at a time
   * (a proxy may watch 100,000 secrets: all at once would be a burst on Vault and a spike of memory here).
   */
  async poll(): Promise<void> {
    const watches = [...this.#watches.values()].filter((watch) => watch.kv === 2)
    let next = 0
    const reader = async () => {
      for (let index = next++; index < watches.length; index = next++) await this.#pollOne(watches[index]!)
    }
    await Promise.all(Array.from({ length: Math.min(POLL_CONCURRENCY, watches.length) }, reader))
  }

  async #pollOne(watch: Watch): Promise<void> {
    let read: { version: number | undefined; seen: string }
    try {
      read = await this.#read(watch)
    } catch {
      return // unreachable or forbidden for now: the next round tries again
    }
    if (read.seen !== watch.seen) {
      watch.version = read.version
      watch.seen = read.seen
      this.#notify(watch.mount, watch.path, read.version, 'polling')
    }
  }

  async #read(watch: Watch): Promise<{ version: number | undefined; seen: string }> {
    try {
      const { data } = await this.client.request<{ data: KvMetadata }>({ method: 'GET', path: `${watch.mount}/metadata/${watch.path}`, token: await watch.token() })
      const versions = Object.entries(data.versions ?? {}).map(([version, about]) => `${version}:${about.deletion_time ?? ''}:${about.destroyed ? 1 : 0}`)
      return { version: data.current_version, seen: [data.current_version, data.updated_time ?? '', ...versions.sort()].join('|') }
    } catch (error) {
      if (error instanceof VaultError && error.status === 404) return { version: undefined, seen: 'gone' }
      throw error
    }
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return
    let token: string
    try {
      token = await this.token()
    } catch (error) {
      return this.#fallBack(`no token to subscribe with (${(error as Error).message})`, true)
    }
    if (!token) return this.#fallBack('no token to subscribe to the event stream with', false)
    const { url, options } = this.client.websocket(`sys/events/subscribe/${EVENT_TYPES}?json=true`, token)
    await new Promise<void>((resolve) => {
      const socket = new WebSocket(url, options)
      this.#socket = socket
      // one outcome per attempt: terminating after a refused upgrade also emits 'error' and 'close'
      let settled = false
      const settle = (outcome: () => void) => {
        if (settled) return
        settled = true
        outcome()
        resolve()
      }
      socket.once('open', () =>
        settle(() => {
          this.#attempt = 0
          this.#setStatus({ mode: 'events' })
          this.#cancelPoll?.()
          this.#cancelPoll = undefined
          // back after a drop: what changed while no event could arrive is found by one metadata read of each
          if (this.#opened) void this.poll()
          this.#opened = true
        }),
      )
      socket.once('unexpected-response', (_request, response) =>
        settle(() => {
          response.resume()
          socket.terminate()
          const status = response.statusCode ?? 0
          // 404/405: this server has no event stream at all; otherwise the subscription itself was refused
          if (status === 404 || status === 405) this.#fallBack(`${this.client.address} has no event stream (HTTP ${status} from sys/events/subscribe): OpenBao has none, and Vault before 1.16 only with -experiment events.alpha1`, false)
          // Vault checks the token's policy before it looks for the path, so a 403 may also mean "no such endpoint"
          else if (status === 403) this.#fallBack(`the event stream refused the subscription (HTTP 403): this server may have no event stream (OpenBao; Vault before 1.16 without -experiment events.alpha1), or the token may not "read" and "subscribe" on sys/events/subscribe/${EVENT_TYPES}`, false)
          else if (status >= 500) void this.#standbyReason(status).then((reason) => this.#fallBack(reason, true))
          else this.#fallBack(`the event stream refused the subscription (HTTP ${status})`, false)
        }),
      )
      socket.on('error', (error) => settle(() => this.#fallBack(`the event stream failed (${error.message})`, true)))
      socket.on('message', (data) => {
        const change = parseKvEvent(data.toString())
        if (change) this.#notify(change.mount, change.path, change.version, 'events')
        else this.#unreadable()
      })
      socket.once('close', () => {
        if (this.#socket === socket && this.#status.mode === 'events') this.#fallBack('the event stream dropped', true)
        settle(() => {})
      })
    })
  }

  /**
   * Every message of a kv* subscription names a KV secret; one that does not may stand in for a change we would
   * then miss, so each watched secret is read once again (as after a gap), and the user is told once.
   */
  #unreadable(): void {
    if (!this.#warnedUnreadable) {
      this.#warnedUnreadable = true
      this.#options.onProblem(`an event message from ${this.client.address} named no KV secret that Vault Tray can read; every watched secret was read again instead (and is, at each such message)`)
    }
    if (!this.#gapPoll) this.#gapPoll = this.poll().finally(() => (this.#gapPoll = undefined))
  }

  /** A 5xx from a standby node means "ask the active node" (Vault 1.14 serves events there only): say that. */
  async #standbyReason(status: number): Promise<string> {
    const health = await this.client.request<{ standby?: boolean; version?: string }>({ method: 'GET', path: 'sys/health', query: { standbyok: 'true' } }).catch(() => undefined)
    if (!health?.standby) return `the event stream refused the subscription (HTTP ${status})`
    return `${this.client.address} is a standby node, and Vault ${health.version ?? ''} serves its event stream on the active node only (HTTP ${status}): point VAULT_ADDR at the active node to get events`
  }

  /** Polls from now on; if the stream may come back, tries it again with backoff. */
  #fallBack(reason: string, retry: boolean): void {
    if (this.#stopped) return
    this.#socket = undefined
    this.#setStatus({ mode: 'polling', reason: retry ? `${reason}; polling every ${this.#options.pollIntervalMs / 1000}s until it is back` : `${reason}; polling every ${this.#options.pollIntervalMs / 1000}s` })
    if (!this.#cancelPoll) this.#schedulePoll()
    if (!retry) return
    const backoff = Math.min(this.#options.maxBackoffMs, 1_000 * 2 ** this.#attempt++)
    this.#cancelReconnect?.()
    this.#cancelReconnect = this.#options.clock.schedule(() => void this.#connect(), backoff / 2 + this.#options.clock.random() * (backoff / 2))
  }

  #schedulePoll(): void {
    this.#cancelPoll = this.#options.clock.schedule(() => {
      this.#cancelPoll = undefined
      if (this.#stopped || this.#status.mode === 'events') return
      void this.poll().finally(() => {
        if (!this.#stopped && this.#status.mode === 'polling' && !this.#cancelPoll) this.#schedulePoll()
      })
    }, this.#options.pollIntervalMs)
  }

  #setStatus(status: ChangeFeedStatus): void {
    this.#status = status
    this.#options.onStatus(status)
  }

  #notify(mount: string, path: string, version: number | undefined, via: KvChange['via']): void {
    const watch = this.#watches.get(`${mount}/${path}`)
    if (!watch) return
    if (via === 'events') {
      watch.version = version
      watch.seen = undefined // polling, if it comes back, reads afresh
    }
    for (const listener of watch.listeners) listener({ mount, path, version, via })
  }
}

/** "Vault's event stream", or "polling, because …", for a log line or the window. */
export function describeFeedStatus(status: ChangeFeedStatus): string {
  return status.mode === 'events' ? "Vault's event stream" : `polling, because ${status.reason}`
}

interface VaultEvent {
  data?: {
    event_type?: string
    event?: { metadata?: { path?: string; data_path?: string; current_version?: string } }
    plugin_info?: { mount_path?: string }
  }
}

/** Reads a KV v2 event of Vault's stream (a CloudEvents JSON message); undefined for anything else. */
export function parseKvEvent(message: string): Omit<KvChange, 'via'> | undefined {
  let event: VaultEvent
  try {
    event = JSON.parse(message) as VaultEvent
  } catch {
    return undefined
  }
  const mountPath = event.data?.plugin_info?.mount_path
  const fullPath = event.data?.event?.metadata?.path
  const type = event.data?.event_type ?? ''
  if (!(type.startsWith('kv-v2/') || type.startsWith('kv-v1/')) || !mountPath || !fullPath) return undefined
  const mount = trim(mountPath)
  // the path names the KV v2 API path, from the mount on in Vault 1.14 (data/<secret>, metadata/<secret>, …) and
  // with the mount in front in Vault 1.16+ (<mount>/data/<secret>)
  const withMount = trim(fullPath)
  const inMount = withMount.startsWith(`${mount}/`) ? withMount.slice(mount.length + 1) : withMount
  // KV v1 names the secret itself; KV v2 the API path of the operation
  const path = type.startsWith('kv-v1/') ? inMount : inMount.replace(/^(data|metadata|delete|undelete|destroy)\//, '')
  const version = Number(event.data?.event?.metadata?.current_version)
  return { mount, path, version: Number.isFinite(version) && version > 0 ? version : undefined }
}
