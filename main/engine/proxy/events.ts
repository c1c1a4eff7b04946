// What the local proxy tells the engine's bus: requests (paths, never bodies), cache hits, evictions, how the cache
// is kept fresh and across restarts. The event list words them (event-log.ts); the counters add them up (stats.ts).
import type { ChangeFeedStatus } from '../vault/changes.ts'
import type { LeaseCacheEvent } from './lease-cache.ts'
import type { StaticCacheEvent } from './static-cache.ts'

export type ProxyEvent =
  | { kind: 'request'; method: string; path: string; status: number; cache?: 'HIT' | 'MISS'; ms: number }
  | { kind: 'upstream-error'; path: string; message: string }
  | { kind: 'save-failed'; message: string }
  /** What the persistent cache gave back at start: entries restored, or why nothing could be. */
  | { kind: 'restored'; file: string; restored: number; persistent: boolean; problem?: string }
  | { kind: 'freshness'; status: ChangeFeedStatus }
  /** Something of the event stream that could not be used, and what the proxy did instead. */
  | { kind: 'feed-problem'; message: string }
  | StaticCacheEvent
  | LeaseCacheEvent
