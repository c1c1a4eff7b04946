// The engine seen through the bridge: one handler per invoke channel of the contract (main/contract), and the engine's bus
// turned into the small push hints the renderer refetches on. Each area of the API is one part; the Electron
// shell and the daemon's browser twin both use this, so both windows show the same thing.
import type { InvokeHandlers } from '../../contract/index.ts'
import type { BridgeContext, BridgePart, Push } from './context.ts'
import { eventsPart } from './events.ts'
import { inspectPart } from './inspect.ts'
import { labPart } from './lab.ts'
import { leasesPart } from './leases.ts'
import { overviewPart } from './overview.ts'
import { proxyPart } from './proxy.ts'
import { settingsPart } from './settings.ts'
import { syncPart } from './sync.ts'
import { yamlPart } from './yaml.ts'

export { bridgeContext, type BridgeContext } from './context.ts'

export interface EngineBridge {
  handlers: InvokeHandlers
  /** Subscribes to push hints; returns the function that unsubscribes. */
  subscribe(push: Push): () => void
  /** Stops what the parts run in the background. */
  stop(): Promise<void>
}

export function engineBridge(context: BridgeContext): EngineBridge {
  const parts: BridgePart<Partial<InvokeHandlers>>[] = [
    syncPart(context),
    overviewPart(context),
    yamlPart(context),
    leasesPart(context),
    eventsPart(context),
    inspectPart(context),
    proxyPart(context),
    settingsPart(context),
    labPart(context),
  ]
  return {
    handlers: Object.assign({}, ...parts.map((part) => part.handlers)) as InvokeHandlers,
    subscribe(push) {
      const off = parts.flatMap((part) => (part.subscribe ? [part.subscribe(push)] : []))
      return () => off.forEach((unsubscribe) => unsubscribe())
    },
    async stop() {
      await Promise.all(parts.map((part) => part.stop?.()))
    },
  }
}
