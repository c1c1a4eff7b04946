// The engine seen through the bridge: one handler per invoke channel of preload/api.ts, and the engine's bus
// turned into the small push hints the renderer refetches on. Shared by the Electron shell and the daemon's
// browser twin, so both windows show the same thing.
import { BridgeError, type InvokeHandlers, type PushChannel, type PushChannels } from '../../preload/api.ts'
import type { Engine, HealthReport } from '../engine/engine.ts'

export interface EngineBridge {
  handlers: InvokeHandlers
  /** Subscribes to push hints; returns the function that unsubscribes. */
  subscribe(push: <C extends PushChannel>(channel: C, payload: PushChannels[C]) => void): () => void
}

export function engineBridge(engine: Engine): EngineBridge {
  let latest: Promise<HealthReport> | undefined
  engine.events.on('health', (report) => (latest = Promise.resolve(report)))
  const sync = () => {
    const running = engine.sync
    if (!running) throw new BridgeError('unavailable', 'The sync engine is not running: start the daemon with --sync.')
    return running
  }
  const known = (key: string) => {
    const engine = sync()
    if (!engine.record(key)) throw new BridgeError('not-found', `No resource ${key} is synced.`)
    return engine
  }
  return {
    handlers: {
      'health:get': () => (latest ??= engine.checkHealth()),
      'sync:records': async () => {
        const running = engine.sync
        if (!running) return { running: false, records: [] }
        return { running: true, context: running.kube.context, mode: running.mode, records: running.records() }
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
          else if (event.kind === 'mode') push('sync:changed', { kind: 'sync' })
        }),
      ]
      return () => off.forEach((unsubscribe) => unsubscribe())
    },
  }
}
