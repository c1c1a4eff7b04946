// The leases the engine holds (leases:list), refetched when a resource changes and every 30 s; between fetches
// the view counts down on its own clock, so the TTLs stay live without asking Vault each second.
import type { LeaseView, VaultTrayApi } from '../../main/contract/index.ts'
import type { Connection } from '../lib/bridge/websocket-api.ts'
import { refreshWhenConnected } from './connection.svelte.ts'
import { debouncedRefetch } from './refetch.ts'

export const leases = $state<{ list?: LeaseView[]; error?: string; busy: Record<string, boolean>; now: number }>({ busy: {}, now: Date.now() })

export async function refreshLeases(api: VaultTrayApi): Promise<void> {
  try {
    leases.list = await api.invoke('leases:list')
    leases.error = undefined
  } catch (error) {
    leases.error = (error as Error).message
  }
}

async function command(api: VaultTrayApi, handle: string, run: () => Promise<void>): Promise<void> {
  leases.busy[handle] = true
  try {
    await run()
    leases.error = undefined
  } catch (error) {
    leases.error = (error as Error).message
  } finally {
    delete leases.busy[handle]
  }
  await refreshLeases(api)
}

export const renewLease = (api: VaultTrayApi, handle: string) => command(api, handle, () => api.invoke('leases:renew', handle))
export const revokeLease = (api: VaultTrayApi, handle: string) => command(api, handle, () => api.invoke('leases:revoke', handle))

/** Follows the leases while the view lives; returns what stops it. */
export function followLeases(api: VaultTrayApi, connection: Connection): () => void {
  const refetch = debouncedRefetch(() => void refreshLeases(api), 300)
  const off = api.on('sync:changed', refetch.hint)
  const tick = setInterval(() => (leases.now = Date.now()), 1000)
  const poll = setInterval(() => void refreshLeases(api), 30_000)
  const offConnection = refreshWhenConnected(connection, () => void refreshLeases(api))
  return () => {
    offConnection()
    off()
    refetch.stop()
    clearInterval(tick)
    clearInterval(poll)
  }
}
