// SCAFFOLD: replaced by the proxy work before it lands.
import { BridgeError, type InvokeHandlers } from '../../../preload/api.ts'
import type { BridgeContext, BridgePart } from './context.ts'

export function proxyPart(_context: BridgeContext): BridgePart<Pick<InvokeHandlers, 'proxy:stats' | 'proxy:clear'>> {
  return {
    handlers: {
      'proxy:stats': async () => {
        throw new BridgeError('unavailable', 'SCAFFOLD: proxy:stats is not built yet')
      },
      'proxy:clear': async () => {
        throw new BridgeError('unavailable', 'SCAFFOLD: proxy:clear is not built yet')
      },
    },
  }
}
