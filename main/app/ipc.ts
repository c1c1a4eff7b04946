// Registers one handler per invoke channel, typed by the contract (main/contract); security.ts decides what each call gets.
import { ipcMain, type IpcMainInvokeEvent } from 'electron'
import { INVOKE_CHANNELS, type InvokeHandlers } from '../contract/index.ts'
import { answerInvoke } from './security.ts'

export function registerHandlers(handlers: InvokeHandlers, isTrustedSender: (event: IpcMainInvokeEvent) => boolean): void {
  for (const channel of INVOKE_CHANNELS) {
    ipcMain.handle(channel, (event, ...args: unknown[]) => answerInvoke(handlers, channel, args, isTrustedSender(event)))
  }
}
