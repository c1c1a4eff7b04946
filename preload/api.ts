// THE contract between main and renderer: every channel, its arguments and its result, in one place.
// Main registers handlers and preload builds invokers from these maps, so the two sides cannot drift.
// The browser twin (main/ui/server.ts) serves the same maps over a loopback WebSocket.
// Secret values never ride on this API: records carry state, messages and diagnoses, never data.
import type { HealthReport } from '../main/engine/engine.ts'
import type { SyncMode, SyncRecord } from '../main/engine/sync/sync-engine.ts'

export type { HealthReport, SyncMode, SyncRecord }

/** Who writes the kube-context, when the engine is in write mode: this copy, or the one holding the writer Lease. */
export interface WriterView {
  leader: boolean
  identity: string
  holder?: { identity: string; lease: string; since?: number }
  reason: string
}

/** Whether the sync engine's Vault tokens survive a restart, and why (sync/token-cache.ts). */
export interface ClientCacheView {
  /** persistent: sealed on disk; memory: kept in memory by configuration; locked: persistence failed this run. */
  state: 'persistent' | 'memory' | 'locked'
  detail: string
}

/** What the sync engine shows: whether it runs, on which kube-context, and one record per resource. */
export interface SyncOverview {
  running: boolean
  context?: string
  mode?: SyncMode
  /** Absent when the mode is observe by settings or because VSO runs: no writer Lease is wanted then. */
  writer?: WriterView
  /** Absent until the engine has opened its client cache, and when it runs without one. */
  clientCache?: ClientCacheView
  records: SyncRecord[]
}

/** What Overview adds to health: the engine's own token, and what the kube-context has in it. Slow parts are asked for apart. */
export interface OverviewDetails {
  /** The Vault token the engine uses (VAULT_TOKEN, the token helper or ~/.vault-token); never the token itself. */
  token: { source: string; displayName: string; policies: string[]; ttlSeconds: number; expiresAt?: number; renewable: boolean } | { error: string } | undefined
  kube:
    | {
        context: string
        crds: { installed: string[]; missing: string[] }
        operator: { running: boolean | 'unknown'; evidence: string[] }
        /** Permissions VSO's ClusterRole needs that this user lacks, in kubectl's words, with the feature each turns off. */
        preflight: { missing: { permission: string; feature: string }[]; summary: string }
      }
    | { error: string }
    | undefined
}

/** One lease or token the engine holds, as the Leases view shows it. The id is masked; `handle` names it on the bridge. */
export interface LeaseView {
  handle: string
  source: 'sync' | 'token'
  /** The resource it belongs to (sync), or the token's display name. */
  owner: string
  maskedId: string
  path: string
  renewable: boolean
  issuedAt: number
  /** When it ends unless renewed. */
  expiresAt: number
  /** When Vault will refuse to renew it further (max TTL), when known. */
  maxExpiresAt?: number
  nextRenewalAt?: number
  /** Workloads the next rotation restarts: Kind/name. */
  restarts: string[]
}

/** One line of the engine's event stream: never a secret value. */
export interface EngineLogEntry {
  seq: number
  at: number
  source: 'sync' | 'rotation' | 'renewal' | 'proxy' | 'vault' | 'kubernetes' | 'lab' | 'engine'
  severity: 'info' | 'warning' | 'error'
  namespace?: string
  /** The resource it is about, as a sync key (Kind/namespace/name), when there is one. */
  resource?: string
  message: string
}

export interface EventsPage {
  events: EngineLogEntry[]
  /** The oldest seq still kept (older ones were dropped from the ring) and the newest. */
  first: number
  last: number
}

/** What a value looks like without showing it. */
export interface MaskedKey {
  key: string
  bytes: number
  binary: boolean
}

export type InspectTarget =
  | { source: 'secret'; namespace: string; name: string }
  | { source: 'kv'; mount: string; path: string; version?: number }

export interface InspectResult {
  target: InspectTarget
  keys: MaskedKey[]
  /** What it is, in words: a Secret's type ("Opaque"), or the KV engine and version ("KV v2, version 3 of 3"). */
  detail: string
  /** KV v2 only: the version shown and the newest, so the window knows a history exists. */
  version?: { shown: number; current: number }
}

/** A KV v2 secret's versions, newest first; the key diff is computed from digests on the main side, never from values here. */
export interface KvHistory {
  current: number
  versions: {
    version: number
    createdAt: string
    deleted: boolean
    destroyed: boolean
    /** The version the diff is against: the nearest earlier one still readable; absent for the first, or when none is. */
    comparedWith?: number
    added: string[]
    removed: string[]
    changed: string[]
  }[]
}

/**
 * One value, revealed or copied on the user's explicit request. It carries every stored byte (up to a hard cap of
 * 4 MiB), so copying gives exactly the stored bytes; the window itself displays only the first few KiB and says so.
 */
/** What inspect:copy put on the clipboard: never the value itself. */
export interface CopiedValue {
  key: string
  encoding: RevealedValue['encoding']
  bytes: number
}

export interface RevealedValue {
  key: string
  /** utf8 for text, base64 for binary values (not valid UTF-8, or control bytes). */
  encoding: 'utf8' | 'base64'
  value: string
  /** The stored size. */
  bytes: number
  /** Set only past the hard cap: `value` then holds just the beginning, and the window refuses to copy it. */
  truncated: boolean
}

export interface ProxyStats {
  running: boolean
  address?: string
  requests: number
  hits: number
  misses: number
  evictions: number
  entries: number
  topPaths: { path: string; requests: number; hits: number }[]
  /** How cached KV v2 secrets are kept fresh: Vault's event stream, or polling and why. */
  freshness?: { mode: 'events' } | { mode: 'polling'; reason: string }
  /** Set when the proxy keeps its caches across restarts (--proxy-persist): where, and what went wrong if anything. */
  persistence?: { file: string; persistent: boolean; problem?: string }
}

export interface Settings {
  kubeContext?: string
  vaultAddress: string
  vaultAuth: { method: 'token' } | { method: 'kubernetes'; mount: string; role: string } | { method: 'approle'; mount: string; roleId: string }
  proxyPort: number
  cacheDir: string
  notifications: boolean
  theme: 'system' | 'light' | 'dark'
  /** How long a copied secret value stays on the clipboard before the window clears it again. */
  clipboardClearSeconds: number
  /** The transit key (MOUNT/KEY) that seals the proxy's caches across restarts; absent, they live in memory. */
  proxyPersist?: string
}

export type SettingsSaveResult = { ok: true; settings: Settings } | { ok: false; errors: Partial<Record<keyof Settings | string, string>> }

/** The one-click lab: its 11 steps (live while `up` runs from the window), and where its Vault and cluster are. Never its root token. */
export interface LabView {
  exists: boolean
  healthy: boolean
  running: boolean
  dir: string
  vaultAddress?: string
  kubeconfig?: string
  /** In `up`'s order; detail says what a step changed, why it failed or did not run, or what `up` would still do. */
  steps: { id: string; title: string; state: 'pending' | 'running' | 'done' | 'failed' | 'skipped'; ms?: number; detail?: string }[]
  /** Why the last `up` from the window did not finish, and what to do. */
  error?: string
  warnings: string[]
}

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
