// The Proxy view: the local proxy's counters and how its cache is kept fresh.

export interface ProxyStats {
  running: boolean
  address?: string
  requests: number
  hits: number
  misses: number
  evictions: number
  entries: number
  topPaths: { path: string; requests: number; hits: number }[]
  /** How cached KV v2 secrets are kept fresh: Vault's event stream, or polling and why. */
  freshness?: { mode: 'events' } | { mode: 'polling'; reason: string }
  /** Set when the proxy keeps its caches across restarts (--proxy-persist): where, and what went wrong if anything. */
  persistence?: { file: string; persistent: boolean; problem?: string }
}
