// THE contract between main and renderer: every channel, its arguments and its result, in one place.
// Main registers handlers and preload builds invokers from these maps, so the two sides cannot drift.
import type { HealthReport } from '../main/engine/engine.ts'

/** Renderer → main requests and what they resolve to. */
export interface InvokeChannels {
  'health:get': () => HealthReport
}

/** Main → renderer hints: small, never a secret value; the renderer pulls the data they point at. */
export interface PushChannels {
  'health:changed': { kind: 'health' }
}

export type InvokeChannel = keyof InvokeChannels
export type PushChannel = keyof PushChannels

export const INVOKE_CHANNELS = ['health:get'] as const satisfies readonly InvokeChannel[]
export const PUSH_CHANNELS = ['health:changed'] as const satisfies readonly PushChannel[]

/** How a result crosses the bridge: errors travel as data and are rebuilt on the other side. */
export type Envelope<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } }

export class BridgeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'BridgeError'
  }
}

/** The one object preload exposes as `window.vaultTray`. */
export interface VaultTrayApi {
  invoke<C extends InvokeChannel>(channel: C, ...args: Parameters<InvokeChannels[C]>): Promise<ReturnType<InvokeChannels[C]>>
  on<C extends PushChannel>(channel: C, listener: (payload: PushChannels[C]) => void): () => void
}
