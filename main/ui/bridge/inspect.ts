// SCAFFOLD: replaced by the inspect work before it lands.
import { BridgeError, type InvokeHandlers } from '../../../preload/api.ts'
import type { BridgeContext, BridgePart } from './context.ts'

export function inspectPart(_context: BridgeContext): BridgePart<Pick<InvokeHandlers, 'inspect:keys' | 'inspect:reveal' | 'inspect:history'>> {
  return {
    handlers: {
      'inspect:keys': async () => {
        throw new BridgeError('unavailable', 'SCAFFOLD: inspect:keys is not built yet')
      },
      'inspect:reveal': async () => {
        throw new BridgeError('unavailable', 'SCAFFOLD: inspect:reveal is not built yet')
      },
      'inspect:history': async () => {
        throw new BridgeError('unavailable', 'SCAFFOLD: inspect:history is not built yet')
      },
    },
  }
}
