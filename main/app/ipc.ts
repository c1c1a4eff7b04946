// Registers one handler per invoke channel, typed by preload/api.ts, answering in the envelope.
import { ipcMain, type IpcMainInvokeEvent } from 'electron'
import type { Envelope, InvokeChannel, InvokeChannels } from '../../preload/api.ts'

export type Handlers = { [C in InvokeChannel]: (...args: Parameters<InvokeChannels[C]>) => Promise<ReturnType<InvokeChannels[C]>> }

export function registerHandlers(handlers: Handlers, isTrustedSender: (event: IpcMainInvokeEvent) => boolean): void {
  for (const channel of Object.keys(handlers) as InvokeChannel[]) {
    ipcMain.handle(channel, async (event, ...args: unknown[]): Promise<Envelope<unknown>> => {
      if (!isTrustedSender(event)) return { ok: false, error: { code: 'forbidden', message: 'request from an untrusted frame' } }
      try {
        return { ok: true, data: await (handlers[channel] as (...a: unknown[]) => Promise<unknown>)(...args) }
      } catch (error) {
        return { ok: false, error: { code: 'failed', message: (error as Error).message } }
      }
    })
  }
}
