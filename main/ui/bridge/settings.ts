// SCAFFOLD: replaced by the settings work before it lands.
import { BridgeError, type InvokeHandlers } from '../../../preload/api.ts'
import type { BridgeContext, BridgePart } from './context.ts'

export function settingsPart(_context: BridgeContext): BridgePart<Pick<InvokeHandlers, 'settings:get' | 'settings:save' | 'settings:contexts'>> {
  return {
    handlers: {
      'settings:get': async () => {
        throw new BridgeError('unavailable', 'SCAFFOLD: settings:get is not built yet')
      },
      'settings:save': async () => {
        throw new BridgeError('unavailable', 'SCAFFOLD: settings:save is not built yet')
      },
      'settings:contexts': async () => {
        throw new BridgeError('unavailable', 'SCAFFOLD: settings:contexts is not built yet')
      },
    },
  }
}
