// The engine's event log: pages of it on request, and a hint with the newest seq when it grows, at most ten a
// second however fast the engine writes, so a burst costs the window one pull per hint, not one per event.
import type { InvokeHandlers } from '../../contract/index.ts'
import type { BridgeContext, BridgePart } from './context.ts'

const HINT_EVERY_MS = 100

export function eventsPart({ engine }: BridgeContext): BridgePart<Pick<InvokeHandlers, 'events:since'>> {
  return {
    handlers: {
      'events:since': async (afterSeq, limit) => engine.log.since(afterSeq, limit),
    },
    subscribe(push) {
      let timer: NodeJS.Timeout | undefined
      const off = engine.log.onAppend(() => {
        timer ??= setTimeout(() => {
          timer = undefined
          push('events:appended', { kind: 'events', last: engine.log.last })
        }, HINT_EVERY_MS)
      })
      return () => {
        off()
        clearTimeout(timer)
      }
    },
  }
}
