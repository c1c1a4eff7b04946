// The `window.vaultTray` object that preload exposes, built from the contract's channel lists over Electron's IPC:
// an unknown channel is refused here already, and an error envelope from main becomes a BridgeError again.
// The browser twin builds the same object over its WebSocket (renderer/lib/bridge/websocket-api.ts).
import { BridgeError, INVOKE_CHANNELS, PUSH_CHANNELS, type Envelope, type VaultTrayApi } from '../main/contract/index.ts'

/** What of ipcRenderer the API uses; structural, so that this file needs no Electron to be read or tested. */
export interface RendererIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
  off(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
}

const invokeChannels: readonly string[] = INVOKE_CHANNELS
const pushChannels: readonly string[] = PUSH_CHANNELS

export function ipcApi(ipc: RendererIpc): VaultTrayApi {
  return {
    async invoke(channel, ...args) {
      if (!invokeChannels.includes(channel)) throw new BridgeError('unknown-channel', `no such channel: ${channel}`)
      const envelope = (await ipc.invoke(channel, ...args)) as Envelope<never>
      if (!envelope.ok) throw new BridgeError(envelope.error.code, envelope.error.message)
      return envelope.data
    },
    on(channel, listener) {
      if (!pushChannels.includes(channel)) throw new BridgeError('unknown-channel', `no such channel: ${channel}`)
      const forward = (_event: unknown, payload: unknown) => listener(payload as Parameters<typeof listener>[0])
      ipc.on(channel, forward)
      return () => void ipc.off(channel, forward)
    },
  }
}
