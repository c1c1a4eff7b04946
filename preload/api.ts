// THE contract between main and renderer: every channel, its arguments and its result, in one place.
// Main registers handlers and preload builds invokers from these maps, so the two sides cannot drift.
// The browser twin (main/ui/server.ts) serves the same maps over a loopback WebSocket.
// Secret values never ride on this API: records carry state, messages and diagnoses, never data.
import type { HealthReport } from '../main/engine/engine.ts'
import type { SyncMode, SyncRecord } from '../main/engine/sync/sync-engine.ts'

export type { HealthReport, SyncMode, SyncRecord }

/** What the sync engine shows: whether it runs, on which kube-context, and one record per resource. */
export interface SyncOverview {
  running: boolean
  context?: string
  mode?: SyncMode
  records: SyncRecord[]
}

/** Renderer → main requests and what they resolve to. */
export interface InvokeChannels {
  'health:get': () => HealthReport
  'sync:records': () => SyncOverview
  /** One reconcile of the resource at once, fetching from Vault even if nothing is due. */
  'sync:now': (key: string) => void
  /** Pause (true) or resume (false) the resource's syncing. */
  'sync:pause': (key: string, paused: boolean) => void
}

/** Main → renderer hints: small, never a secret value; the renderer pulls the data they point at. */
export interface PushChannels {
  'health:changed': { kind: 'health' }
  /** Something about the sync engine changed: a resource (its key) or the engine itself (no key). */
  'sync:changed': { kind: 'sync'; key?: string }
}

export type InvokeChannel = keyof InvokeChannels
export type PushChannel = keyof PushChannels

export const INVOKE_CHANNELS = ['health:get', 'sync:records', 'sync:now', 'sync:pause'] as const satisfies readonly InvokeChannel[]
export const PUSH_CHANNELS = ['health:changed', 'sync:changed'] as const satisfies readonly PushChannel[]

/** The longest resource key accepted: kind/namespace/name, each within Kubernetes' own limits. */
const MAX_KEY_LENGTH = 64 + 1 + 63 + 1 + 253
const RESOURCE_KEY = /^[A-Za-z]+\/[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/
const isResourceKey = (value: unknown): value is string => typeof value === 'string' && value.length <= MAX_KEY_LENGTH && RESOURCE_KEY.test(value)

type ArgumentCheck = (args: readonly unknown[]) => string | undefined

/**
 * What each channel accepts, checked where a message arrives from a less trusted side (IPC from a frame, a
 * WebSocket message): an answer of undefined means the arguments fit the channel's signature.
 */
export const ARGUMENT_CHECKS: { [C in InvokeChannel]: ArgumentCheck } = {
  'health:get': (args) => (args.length === 0 ? undefined : 'health:get takes no arguments'),
  'sync:records': (args) => (args.length === 0 ? undefined : 'sync:records takes no arguments'),
  'sync:now': (args) => (args.length === 1 && isResourceKey(args[0]) ? undefined : 'sync:now takes one resource key (Kind/namespace/name)'),
  'sync:pause': (args) =>
    args.length === 2 && isResourceKey(args[0]) && typeof args[1] === 'boolean' ? undefined : 'sync:pause takes a resource key (Kind/namespace/name) and true or false',
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
