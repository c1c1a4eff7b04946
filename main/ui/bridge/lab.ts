// SCAFFOLD: replaced by the lab work before it lands.
import { BridgeError, type InvokeHandlers } from '../../../preload/api.ts'
import type { BridgeContext, BridgePart } from './context.ts'

export function labPart(_context: BridgeContext): BridgePart<Pick<InvokeHandlers, 'lab:status' | 'lab:up'>> {
  return {
    handlers: {
      'lab:status': async () => {
        throw new BridgeError('unavailable', 'SCAFFOLD: lab:status is not built yet')
      },
      'lab:up': async () => {
        throw new BridgeError('unavailable', 'SCAFFOLD: lab:up is not built yet')
      },
    },
  }
}
