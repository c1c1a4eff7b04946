// SCAFFOLD: replaced by the leases work before it lands.
import { BridgeError, type InvokeHandlers } from '../../../preload/api.ts'
import type { BridgeContext, BridgePart } from './context.ts'

export function leasesPart(_context: BridgeContext): BridgePart<Pick<InvokeHandlers, 'leases:list' | 'leases:renew' | 'leases:revoke'>> {
  return {
    handlers: {
      'leases:list': async () => {
        throw new BridgeError('unavailable', 'SCAFFOLD: leases:list is not built yet')
      },
      'leases:renew': async () => {
        throw new BridgeError('unavailable', 'SCAFFOLD: leases:renew is not built yet')
      },
      'leases:revoke': async () => {
        throw new BridgeError('unavailable', 'SCAFFOLD: leases:revoke is not built yet')
      },
    },
  }
}
