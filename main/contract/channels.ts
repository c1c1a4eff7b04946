// Every channel between main and renderer, its arguments and its result, and how a result crosses: main
// registers handlers and preload builds invokers from these maps, so the two sides cannot drift. The browser
// twin (main/ui/server.ts) serves the same maps over a loopback WebSocket.
import type { EventsPage } from './events.ts'
import type { HealthReport, OverviewDetails } from './health.ts'
import type { CopiedValue, InspectResult, InspectTarget, KvHistory, RevealedValue } from './inspect.ts'
import type { LabView } from './lab.ts'
import type { LeaseView } from './leases.ts'
import type { ProxyStats } from './proxy.ts'
import type { Settings, SettingsSaveResult } from './settings.ts'
import type { SyncOverview, WriterView } from './sync.ts'

/** Renderer → main requests and what they resolve to. */
export interface InvokeChannels {
  'health:get': () => HealthReport
  'overview:details': () => OverviewDetails
  'sync:records': () => SyncOverview
  /** One reconcile of the resource at once, fetching from Vault even if nothing is due. */
  'sync:now': (key: string) => void
  /** Pause (true) or resume (false) the resource's syncing. */
  'sync:pause': (key: string, paused: boolean) => void
  /** The resource as the apiserver has it, in YAML (managedFields left out). */
  'sync:yaml': (key: string) => string
  /** Takes the writer Lease from the copy that holds it; that copy stops writing at its next renewal. */
  'sync:take-over': () => WriterView
  'leases:list': () => LeaseView[]
  'leases:renew': (handle: string) => void
  'leases:revoke': (handle: string) => void
  /** Events after `afterSeq` (0 for all kept), at most `limit`. */
  'events:since': (afterSeq: number, limit: number) => EventsPage
  'inspect:keys': (target: InspectTarget) => InspectResult
  'inspect:reveal': (target: InspectTarget, key: string) => RevealedValue
  'inspect:history': (mount: string, path: string) => KvHistory
  /**
   * Puts one value on the system clipboard from the main process, and clears it after `seconds` if it is still
   * there; the value never reaches the window. Only the Electron shell has it (`unavailable` in a browser).
   */
  'inspect:copy': (target: InspectTarget, key: string, seconds: number) => CopiedValue
  'proxy:stats': () => ProxyStats
  'proxy:clear': () => { cleared: number }
  'settings:get': () => Settings
  'settings:save': (settings: Settings) => SettingsSaveResult
  'settings:contexts': () => string[]
  'lab:status': () => LabView
  /** Starts `lab up` in the background and returns at once; refused while one runs. Progress arrives as lab:changed. */
  'lab:up': () => void
}

/** Main → renderer hints: small, never a secret value; the renderer pulls the data they point at. */
export interface PushChannels {
  'health:changed': { kind: 'health' }
  /** Something about the sync engine changed: a resource (its key) or the engine itself (no key). */
  'sync:changed': { kind: 'sync'; key?: string }
  'events:appended': { kind: 'events'; last: number }
  'proxy:changed': { kind: 'proxy' }
  'settings:changed': { kind: 'settings' }
  'lab:changed': { kind: 'lab' }
  /** A value inspect:copy put on the clipboard was taken off again. */
  'clipboard:cleared': { kind: 'clipboard' }
}

export type InvokeChannel = keyof InvokeChannels
export type PushChannel = keyof PushChannels

export const INVOKE_CHANNELS = [
  'health:get',
  'overview:details',
  'sync:records',
  'sync:now',
  'sync:pause',
  'sync:yaml',
  'sync:take-over',
  'leases:list',
  'leases:renew',
  'leases:revoke',
  'events:since',
  'inspect:keys',
  'inspect:reveal',
  'inspect:history',
  'inspect:copy',
  'proxy:stats',
  'proxy:clear',
  'settings:get',
  'settings:save',
  'settings:contexts',
  'lab:status',
  'lab:up',
] as const satisfies readonly InvokeChannel[]
export const PUSH_CHANNELS = ['health:changed', 'sync:changed', 'events:appended', 'proxy:changed', 'settings:changed', 'lab:changed', 'clipboard:cleared'] as const satisfies readonly PushChannel[]

/** The longest resource key accepted: kind/namespace/name, each within Kubernetes' own limits. */
const MAX_KEY_LENGTH = 64 + 1 + 63 + 1 + 253
const RESOURCE_KEY = /^[A-Za-z]+\/[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS_SUBDOMAIN = /^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/
/** A Vault path segment list: no empty segments, no dot segments, printable. */
const VAULT_PATH = /^(?!.*(^|\/)\.{1,2}(\/|$))[\w.@+=-]+(\/[\w.@+=-]+)*$/
const isResourceKey = (value: unknown): value is string => typeof value === 'string' && value.length <= MAX_KEY_LENGTH && RESOURCE_KEY.test(value)
const isVaultPath = (value: unknown): value is string => typeof value === 'string' && value.length <= 1024 && VAULT_PATH.test(value)
const isHandle = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= MAX_KEY_LENGTH + 16 && /^[\w./:-]+$/.test(value)
const isCount = (value: unknown, max: number): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max
const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

export function isInspectTarget(value: unknown): value is InspectTarget {
  if (!isPlainObject(value)) return false
  if (value.source === 'secret') return Object.keys(value).length === 3 && typeof value.namespace === 'string' && DNS_LABEL.test(value.namespace) && typeof value.name === 'string' && value.name.length <= 253 && DNS_SUBDOMAIN.test(value.name)
  if (value.source === 'kv') return isVaultPath(value.mount) && isVaultPath(value.path) && (value.version === undefined || isCount(value.version, 2 ** 31)) && Object.keys(value).every((k) => ['source', 'mount', 'path', 'version'].includes(k))
  return false
}

/** A secret's key: what Kubernetes allows in a Secret's data, and what a KV secret may hold. */
const isDataKey = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 253

type ArgumentCheck = (args: readonly unknown[]) => string | undefined

const none = (channel: string): ArgumentCheck => (args) => (args.length === 0 ? undefined : `${channel} takes no arguments`)
const oneKey = (channel: string): ArgumentCheck => (args) => (args.length === 1 && isResourceKey(args[0]) ? undefined : `${channel} takes one resource key (Kind/namespace/name)`)
const oneHandle = (channel: string): ArgumentCheck => (args) => (args.length === 1 && isHandle(args[0]) ? undefined : `${channel} takes one lease handle from leases:list`)

/**
 * What each channel accepts, checked where a message arrives from a less trusted side (IPC from a frame, a
 * WebSocket message): an answer of undefined means the arguments fit the channel's signature.
 * settings:save checks only the shape here; its values are validated field by field where they are saved.
 */
export const ARGUMENT_CHECKS: { [C in InvokeChannel]: ArgumentCheck } = {
  'health:get': none('health:get'),
  'overview:details': none('overview:details'),
  'sync:records': none('sync:records'),
  'sync:take-over': none('sync:take-over'),
  'sync:now': oneKey('sync:now'),
  'sync:pause': (args) =>
    args.length === 2 && isResourceKey(args[0]) && typeof args[1] === 'boolean' ? undefined : 'sync:pause takes a resource key (Kind/namespace/name) and true or false',
  'sync:yaml': oneKey('sync:yaml'),
  'leases:list': none('leases:list'),
  'leases:renew': oneHandle('leases:renew'),
  'leases:revoke': oneHandle('leases:revoke'),
  'events:since': (args) => (args.length === 2 && isCount(args[0], Number.MAX_SAFE_INTEGER) && isCount(args[1], 10_000) ? undefined : 'events:since takes a sequence number and a limit (at most 10000)'),
  'inspect:keys': (args) => (args.length === 1 && isInspectTarget(args[0]) ? undefined : 'inspect:keys takes one target: {source: secret, namespace, name} or {source: kv, mount, path, version?}'),
  'inspect:reveal': (args) => (args.length === 2 && isInspectTarget(args[0]) && isDataKey(args[1]) ? undefined : 'inspect:reveal takes a target and the key to reveal'),
  'inspect:copy': (args) =>
    args.length === 3 && isInspectTarget(args[0]) && isDataKey(args[1]) && Number.isInteger(args[2]) && (args[2] as number) >= 1 && (args[2] as number) <= 3600
      ? undefined
      : 'inspect:copy takes a target, the key to copy and the seconds (1 to 3600) it may stay on the clipboard',
  'inspect:history': (args) => (args.length === 2 && isVaultPath(args[0]) && isVaultPath(args[1]) ? undefined : 'inspect:history takes a KV v2 mount and a secret path'),
  'proxy:stats': none('proxy:stats'),
  'proxy:clear': none('proxy:clear'),
  'settings:get': none('settings:get'),
  'settings:save': (args) => (args.length === 1 && isPlainObject(args[0]) && JSON.stringify(args[0]).length <= 16_384 ? undefined : 'settings:save takes one settings object'),
  'settings:contexts': none('settings:contexts'),
  'lab:status': none('lab:status'),
  'lab:up': none('lab:up'),
}

export function isInvokeChannel(channel: unknown): channel is InvokeChannel {
  return typeof channel === 'string' && (INVOKE_CHANNELS as readonly string[]).includes(channel)
}

export function isPushChannel(channel: unknown): channel is PushChannel {
  return typeof channel === 'string' && (PUSH_CHANNELS as readonly string[]).includes(channel)
}

/** How a result crosses the bridge: errors travel as data and are rebuilt on the other side. */
export type Envelope<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } }

/** The codes an error envelope carries. */
export type BridgeErrorCode = 'unknown-channel' | 'bad-arguments' | 'bad-message' | 'not-found' | 'unavailable' | 'forbidden' | 'disconnected' | 'failed'

export class BridgeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'BridgeError'
  }
}

/** What main implements for each invoke channel. */
export type InvokeHandlers = { [C in InvokeChannel]: (...args: Parameters<InvokeChannels[C]>) => Promise<ReturnType<InvokeChannels[C]>> }

/** The one object preload exposes as `window.vaultTray`, and the browser twin's WebSocket client implements. */
export interface VaultTrayApi {
  invoke<C extends InvokeChannel>(channel: C, ...args: Parameters<InvokeChannels[C]>): Promise<ReturnType<InvokeChannels[C]>>
  on<C extends PushChannel>(channel: C, listener: (payload: PushChannels[C]) => void): () => void
}

/** The browser twin's wire format: one JSON object per WebSocket message. */
export type ClientMessage = { id: number; channel: InvokeChannel; args: unknown[] }
export type ServerMessage = { id: number | null; envelope: Envelope<unknown> } | { push: PushChannel; payload: PushChannels[PushChannel] }
