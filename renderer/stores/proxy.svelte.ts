// The local proxy's counts (proxy:stats), refetched on proxy:changed hints while the Proxy view is open.
import type { ProxyStats, VaultTrayApi } from '../../main/contract/index.ts'
import type { Connection } from '../lib/bridge/websocket-api.ts'
import { refreshWhenConnected } from './connection.svelte.ts'
import { debouncedRefetch } from './refetch.ts'

export const proxy = $state<{ stats?: ProxyStats; error?: string; cleared?: number }>({})

/** Hits among the requests the cache could answer (hits and misses), as a whole percent; undefined before any. */
export function hitRate(stats: Pick<ProxyStats, 'hits' | 'misses'>): number | undefined {
  const cacheable = stats.hits + stats.misses
  return cacheable ? Math.round((stats.hits / cacheable) * 100) : undefined
}

/** "Vault's event stream", or "polling, because …" (the proxy's change feed). */
export function freshnessText(freshness: NonNullable<ProxyStats['freshness']>): string {
  return freshness.mode === 'events' ? "Vault's event stream: a change made elsewhere evicts at once" : `polling, because ${freshness.reason}`
}

export async function refreshProxy(api: VaultTrayApi): Promise<void> {
  try {
    proxy.stats = await api.invoke('proxy:stats')
    proxy.error = undefined
  } catch (error) {
    proxy.error = (error as Error).message
  }
}

export async function clearProxyCache(api: VaultTrayApi): Promise<void> {
  try {
    proxy.cleared = (await api.invoke('proxy:clear')).cleared
  } catch (error) {
    proxy.error = (error as Error).message
  }
  await refreshProxy(api)
}

export function followProxy(api: VaultTrayApi, connection: Connection): () => void {
  const refetch = debouncedRefetch(() => void refreshProxy(api), 100)
  const off = api.on('proxy:changed', refetch.hint)
  const offConnection = refreshWhenConnected(connection, () => void refreshProxy(api))
  return () => {
    offConnection()
    off()
    refetch.stop()
  }
}
