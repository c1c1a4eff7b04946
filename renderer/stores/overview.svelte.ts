// What Overview adds to health (overview:details): the user's token and what the kube-context holds. Fetched when
// Overview opens and again with each health change; the engine keeps the slow part (preflight) for 30 s.
import type { OverviewDetails, VaultTrayApi } from '../../main/contract/index.ts'
import type { Connection } from '../lib/bridge/websocket-api.ts'
import { refreshWhenConnected } from './connection.svelte.ts'

export const overview = $state<{ details?: OverviewDetails; error?: string }>({})

export async function refreshOverview(api: VaultTrayApi): Promise<void> {
  try {
    overview.details = await api.invoke('overview:details')
    overview.error = undefined
  } catch (error) {
    overview.error = (error as Error).message
  }
}

/** Follows while Overview is open: at once when connected, on each (re)connect, and with each health change. */
export function followOverview(api: VaultTrayApi, connection: Connection): () => void {
  const offConnection = refreshWhenConnected(connection, () => void refreshOverview(api))
  const offHealth = api.on('health:changed', () => void refreshOverview(api))
  return () => {
    offConnection()
    offHealth()
  }
}

/** "2 h 05 min left" for a token; "never expires" for one without a TTL (root). */
export function describeTokenTtl(ttlSeconds: number): string {
  if (ttlSeconds <= 0) return 'never expires'
  const hours = Math.floor(ttlSeconds / 3600)
  const minutes = Math.floor((ttlSeconds % 3600) / 60)
  return hours ? `${hours} h ${String(minutes).padStart(2, '0')} min left` : `${minutes} min ${String(ttlSeconds % 60).padStart(2, '0')} s left`
}
