// SCAFFOLD: replaced by the yaml work before it lands.
import { BridgeError, type InvokeHandlers } from '../../../preload/api.ts'
import type { BridgeContext, BridgePart } from './context.ts'

export function yamlPart(_context: BridgeContext): BridgePart<Pick<InvokeHandlers, 'sync:yaml'>> {
  return {
    handlers: {
      'sync:yaml': async () => {
        throw new BridgeError('unavailable', 'SCAFFOLD: sync:yaml is not built yet')
      },
    },
  }
}
