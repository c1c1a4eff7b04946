// Health and the sync engine's records and per-resource commands.
import { BridgeError, type ClientCacheView, type HealthReport, type InvokeHandlers } from '../../contract/index.ts'
import type { TokenCacheStatus } from '../../engine/sync/token-cache.ts'
import type { BridgeContext, BridgePart } from './context.ts'

export function clientCacheView(status: TokenCacheStatus): ClientCacheView {
  return status.model === 'direct-encrypted' ? { state: 'persistent', detail: status.detail } : { state: status.model, detail: status.reason }
}

export function syncPart({ engine }: BridgeContext): BridgePart<Pick<InvokeHandlers, 'health:get' | 'sync:records' | 'sync:now' | 'sync:pause' | 'sync:take-over'>> {
  let latest: Promise<HealthReport> | undefined
  engine.events.on('health', (report) => (latest = Promise.resolve(report)))
  const known = (key: string) => {
    const running = engine.sync
    if (!running) throw new BridgeError('unavailable', 'The sync engine is not running: start the daemon with --sync.')
    if (!running.record(key)) throw new BridgeError('not-found', `No resource ${key} is synced.`)
    return running
  }
  return {
    handlers: {
      'health:get': () => (latest ??= engine.checkHealth()),
      'sync:records': async () => {
        const running = engine.sync
        if (!running) return { running: false, records: [] }
        const writer = running.writer()
        const cache = running.clientCache()
        const clientCache = cache && clientCacheView(cache)
        return { running: true, context: running.kube.context, mode: running.mode, ...(writer ? { writer } : {}), ...(clientCache ? { clientCache } : {}), records: running.records() }
      },
      'sync:take-over': async () => {
        const running = engine.sync
        if (!running) throw new BridgeError('unavailable', 'The sync engine is not running: start the daemon with --sync.')
        if (!running.writer()) throw new BridgeError('unavailable', `The sync engine observes by its settings (mode ${running.mode}), so there is no writer Lease to take: start it with --mode write.`)
        return running.takeOver()
      },
      'sync:now': async (key) => known(key).syncNow(key),
      'sync:pause': async (key, paused) => known(key).setPaused(key, paused),
    },
    subscribe(push) {
      const off = [
        engine.events.on('health', () => push('health:changed', { kind: 'health' })),
        engine.events.on('sync', (event) => {
          if (event.kind === 'record') push('sync:changed', { kind: 'sync', key: event.record.key })
          else if (event.kind === 'removed') push('sync:changed', { kind: 'sync', key: event.key })
          else if (event.kind === 'mode' || event.kind === 'client-cache') push('sync:changed', { kind: 'sync' })
        }),
      ]
      return () => off.forEach((unsubscribe) => unsubscribe())
    },
  }
}
