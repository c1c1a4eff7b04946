// Runs sandboxed before the renderer: exposes one frozen object built from the channel maps in api.ts.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { BridgeError, INVOKE_CHANNELS, PUSH_CHANNELS, type Envelope, type VaultTrayApi } from './api.ts'

const invokeChannels: readonly string[] = INVOKE_CHANNELS
const pushChannels: readonly string[] = PUSH_CHANNELS

const api: VaultTrayApi = {
  async invoke(channel, ...args) {
    if (!invokeChannels.includes(channel)) throw new BridgeError('unknown-channel', `no such channel: ${channel}`)
    const envelope = (await ipcRenderer.invoke(channel, ...args)) as Envelope<never>
    if (!envelope.ok) throw new BridgeError(envelope.error.code, envelope.error.message)
    return envelope.data
  },
  on(channel, listener) {
    if (!pushChannels.includes(channel)) throw new BridgeError('unknown-channel', `no such channel: ${channel}`)
    const forward = (_event: IpcRendererEvent, payload: Parameters<typeof listener>[0]) => listener(payload)
    ipcRenderer.on(channel, forward)
    return () => ipcRenderer.off(channel, forward)
  },
}

contextBridge.exposeInMainWorld('vaultTray', Object.freeze(api))
