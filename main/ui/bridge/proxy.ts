// The local proxy the engine runs (daemon --proxy): its counts for the Proxy view, and Clear cache. A hint at
// most twice a second while requests flow, so a busy proxy costs the window little.
import type { InvokeHandlers } from '../../contract/index.ts'
import type { BridgeContext, BridgePart } from './context.ts'

const HINT_EVERY_MS = 500

export function proxyPart({ engine }: BridgeContext): BridgePart<Pick<InvokeHandlers, 'proxy:stats' | 'proxy:clear'>> {
  return {
    handlers: {
      'proxy:stats': async () => {
        const proxy = engine.proxy
        if (!proxy) return { running: false, requests: 0, hits: 0, misses: 0, evictions: 0, entries: 0, topPaths: [] }
        return { running: true, address: proxy.address, ...proxy.stats() }
      },
      'proxy:clear': async () => ({ cleared: engine.proxy?.clear() ?? 0 }),
    },
    subscribe(push) {
      let timer: NodeJS.Timeout | undefined
      const off = engine.events.on('proxy', () => {
        timer ??= setTimeout(() => {
          timer = undefined
          push('proxy:changed', { kind: 'proxy' })
        }, HINT_EVERY_MS)
      })
      return () => {
        off()
        clearTimeout(timer)
      }
    },
  }
}
