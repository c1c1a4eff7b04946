// What the Proxy view shows: requests, cache hits and misses, evictions, and the busiest paths (masked as the
// event log masks them: a token or lease id in a path never shows). Counted from the proxy's own events.
import type { ProxyStats } from '../../contract/index.ts'
import { maskPath } from '../vault/renewal.ts'
import type { ProxyEvent } from './events.ts'

/** Paths beyond this many are counted in the totals only, so a scan of random paths cannot grow memory. */
const MAX_PATHS = 10_000

export type ProxyCounts = Omit<ProxyStats, 'running' | 'address' | 'entries'>

export class ProxyCounter {
  #requests = 0
  #hits = 0
  #misses = 0
  #evictions = 0
  readonly #paths = new Map<string, { requests: number; hits: number }>()

  count(event: ProxyEvent): void {
    if (event.kind === 'evicted' || event.kind === 'lease-evicted') this.#evictions++
    if (event.kind !== 'request') return
    this.#requests++
    if (event.cache === 'HIT') this.#hits++
    if (event.cache === 'MISS') this.#misses++
    const path = maskPath(event.path)
    const entry = this.#paths.get(path) ?? (this.#paths.size < MAX_PATHS ? { requests: 0, hits: 0 } : undefined)
    if (!entry) return
    entry.requests++
    if (event.cache === 'HIT') entry.hits++
    this.#paths.set(path, entry)
  }

  snapshot(top = 10): ProxyCounts {
    const topPaths = [...this.#paths]
      .sort(([a, x], [b, y]) => y.requests - x.requests || a.localeCompare(b))
      .slice(0, top)
      .map(([path, { requests, hits }]) => ({ path, requests, hits }))
    return { requests: this.#requests, hits: this.#hits, misses: this.#misses, evictions: this.#evictions, topPaths }
  }
}
