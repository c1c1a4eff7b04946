// preload/api.ts: the window.vaultTray object over Electron's IPC, driven here through a stand-in for ipcRenderer.
import { describe, expect, it } from 'vitest'
import { BridgeError, type Envelope } from '../../main/contract/index.ts'
import { ipcApi, type RendererIpc } from '../../preload/api.ts'

/** An ipcRenderer that answers invokes with the given envelope and keeps its listeners where the test can call them. */
function fakeIpc(answer: Envelope<unknown>) {
  const listeners = new Map<string, (event: unknown, ...args: unknown[]) => void>()
  const invoked: unknown[][] = []
  const ipc: RendererIpc = {
    invoke: async (channel, ...args) => (invoked.push([channel, ...args]), answer),
    on: (channel, listener) => listeners.set(channel, listener),
    off: (channel, listener) => listeners.get(channel) === listener && listeners.delete(channel),
  }
  return { ipc, invoked, listeners }
}

describe('preload/api.ts', () => {
  it('invokes a channel of the contract and gives back its data', async () => {
    const { ipc, invoked } = fakeIpc({ ok: true, data: { cleared: 3 } })
    await expect(ipcApi(ipc).invoke('proxy:clear')).resolves.toEqual({ cleared: 3 })
    expect(invoked).toEqual([['proxy:clear']])
  })

  it('turns an error envelope back into a BridgeError with its code', async () => {
    const { ipc } = fakeIpc({ ok: false, error: { code: 'not-found', message: 'no such resource' } })
    const error = await ipcApi(ipc).invoke('sync:now', 'VaultStaticSecret/app/web').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(BridgeError)
    expect(error).toMatchObject({ code: 'not-found', message: 'no such resource' })
  })

  it('refuses a channel the contract does not name, before anything reaches main', async () => {
    const { ipc, invoked, listeners } = fakeIpc({ ok: true, data: undefined })
    const api = ipcApi(ipc) as unknown as { invoke(channel: string): Promise<unknown>; on(channel: string, listener: () => void): () => void }
    await expect(api.invoke('shell:exec')).rejects.toMatchObject({ code: 'unknown-channel' })
    expect(() => api.on('shell:output', () => {})).toThrow(/no such channel/)
    expect(invoked).toEqual([])
    expect(listeners.size).toBe(0)
  })

  it('passes a push payload to the listener, and stops when unsubscribed', () => {
    const { ipc, listeners } = fakeIpc({ ok: true, data: undefined })
    const seen: unknown[] = []
    const off = ipcApi(ipc).on('sync:changed', (payload) => seen.push(payload))
    listeners.get('sync:changed')!({}, { kind: 'sync', key: 'VaultStaticSecret/app/web' })
    expect(seen).toEqual([{ kind: 'sync', key: 'VaultStaticSecret/app/web' }])
    off()
    expect(listeners.has('sync:changed')).toBe(false)
  })
})
