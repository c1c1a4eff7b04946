// SCAFFOLD: replaced by the events work before it lands.
import { BridgeError, type InvokeHandlers } from '../../../preload/api.ts'
import type { BridgeContext, BridgePart } from './context.ts'

export function eventsPart(_context: BridgeContext): BridgePart<Pick<InvokeHandlers, 'events:since'>> {
  return {
    handlers: {
      'events:since': async () => {
        throw new BridgeError('unavailable', 'SCAFFOLD: events:since is not built yet')
      },
    },
  }
}
