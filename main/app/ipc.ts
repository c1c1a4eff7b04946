// Registers one handler per invoke channel, typed by preload/api.ts, answering in the envelope.
import { ipcMain, type IpcMainInvokeEvent } from 'electron'
import { ARGUMENT_CHECKS, type Envelope, type InvokeChannel, type InvokeHandlers } from '../../preload/api.ts'

export type Handlers = InvokeHandlers

export function registerHandlers(handlers: Handlers, isTrustedSender: (event: IpcMainInvokeEvent) => boolean): void {
  for (const channel of Object.keys(handlers) as InvokeChannel[]) {
    ipcMain.handle(channel, async (event, ...args: unknown[]): Promise<Envelope<unknown>> => {
      if (!isTrustedSender(event)) return { ok: false, error: { code: 'forbidden', message: 'request from an untrusted frame' } }
      const wrong = ARGUMENT_CHECKS[channel](args)
      if (wrong) return { ok: false, error: { code: 'bad-arguments', message: wrong } }
      try {
        return { ok: true, data: await (handlers[channel] as (...a: unknown[]) => Promise<unknown>)(...args) }
      } catch (error) {
        return { ok: false, error: { code: (error as { code?: string }).code ?? 'failed', message: (error as Error).message } }
      }
    })
  }
}
