// SCAFFOLD: replaced by the overview work before it lands.
import { BridgeError, type InvokeHandlers } from '../../../preload/api.ts'
import type { BridgeContext, BridgePart } from './context.ts'

export function overviewPart(_context: BridgeContext): BridgePart<Pick<InvokeHandlers, 'overview:details'>> {
  return {
    handlers: {
      'overview:details': async () => {
        throw new BridgeError('unavailable', 'SCAFFOLD: overview:details is not built yet')
      },
    },
  }
}
