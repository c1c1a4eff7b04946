// The sync engine's records, as sync:records reports them; refetched on sync:changed hints. Never a secret value.
import type { ClientCacheView, SyncOverview, SyncRecord, VaultTrayApi } from '../../main/contract/index.ts'
import type { Tone } from './health.svelte.ts'
import { debouncedRefetch } from './refetch.ts'

export const sync = $state<{ overview?: SyncOverview; error?: string; busy: Record<string, boolean> }>({ busy: {} })

/** Ticks every few seconds so "12 s ago" stays true. */
export const clock = $state({ now: Date.now() })

type SyncState = SyncRecord['state']

const TONES: Record<SyncState, Tone> = { synced: 'ok', pending: 'busy', observed: 'muted', paused: 'muted', failing: 'error', invalid: 'error' }
const LABELS: Record<SyncState, string> = { synced: 'Synced', pending: 'Pending', observed: 'Observed', paused: 'Paused', failing: 'Failing', invalid: 'Invalid' }
/** Failures first, then what is in flight, then the rest. */
const PRIORITY: Record<SyncState, number> = { failing: 0, invalid: 0, pending: 1, paused: 2, observed: 3, synced: 4 }

export const stateTone = (state: SyncState): Tone => TONES[state]
export const stateLabel = (state: SyncState): string => LABELS[state]
export const isFailing = (record: SyncRecord): boolean => record.state === 'failing' || record.state === 'invalid'

export function sortRecords(records: readonly SyncRecord[]): SyncRecord[] {
  return [...records].sort((a, b) => PRIORITY[a.state] - PRIORITY[b.state] || a.key.localeCompare(b.key))
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago"; "never" without a time. */
export function describeAge(then: number | undefined, now: number): string {
  if (then === undefined) return 'never'
  const seconds = Math.max(0, Math.round((now - then) / 1000))
  if (seconds < 5) return 'just now'
  if (seconds < 60) return `${seconds} s ago`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`
  return `${Math.floor(seconds / 86_400)} d ago`
}

/** Why the Secrets view has nothing to list, or undefined when it has something. */
export function emptyReason(overview: SyncOverview | undefined, hasKubeContext: boolean): 'no-kube-context' | 'not-running' | 'no-resources' | undefined {
  if (!hasKubeContext) return 'no-kube-context'
  if (!overview?.running) return 'not-running'
  return overview.records.length === 0 ? 'no-resources' : undefined
}

/** A failing resource's diagnosis in one sentence: the cause, then the fix. */
export function whyNotSynced(record: SyncRecord): string {
  if (!record.diagnosis) return record.message
  const cause = record.diagnosis.cause.trim()
  return `${/[.!?]$/.test(cause) ? cause : `${cause}.`} ${record.diagnosis.fix.trim()}`
}

export async function refreshSync(api: VaultTrayApi): Promise<void> {
  try {
    sync.overview = await api.invoke('sync:records')
    sync.error = undefined
  } catch (error) {
    sync.error = (error as Error).message
  }
}

/** Runs a command on one resource, marking it busy meanwhile; the push hint that follows refreshes the list. */
async function command(api: VaultTrayApi, key: string, run: () => Promise<void>): Promise<void> {
  sync.busy[key] = true
  try {
    await run()
    sync.error = undefined
  } catch (error) {
    sync.error = (error as Error).message
  } finally {
    delete sync.busy[key]
  }
  await refreshSync(api)
}

export const syncNow = (api: VaultTrayApi, key: string) => command(api, key, () => api.invoke('sync:now', key))
export const setPaused = (api: VaultTrayApi, key: string, paused: boolean) => command(api, key, () => api.invoke('sync:pause', key, paused))
export const takeOver = (api: VaultTrayApi) => command(api, 'writer', async () => void (await api.invoke('sync:take-over')))

/** Who writes, in one sentence for the Sync card; undefined when this copy writes or no Lease is wanted. */
export function otherWriter(overview: SyncOverview | undefined): string | undefined {
  const writer = overview?.writer
  if (!writer || writer.leader) return undefined
  const holder = writer.holder
  if (!holder) return writer.reason
  const since = holder.since ? ` since ${new Date(holder.since).toLocaleString()}` : ''
  return `${holder.identity} writes this kube-context (it holds the writer Lease ${holder.lease}${since}). This copy only observes, so that the two never mint credentials against each other.`
}

const CACHE_STATES: Record<ClientCacheView['state'], { label: string; tone: Tone }> = {
  persistent: { label: 'persistent', tone: 'ok' },
  memory: { label: 'in memory', tone: 'muted' },
  locked: { label: 'locked', tone: 'error' },
}

/** The client cache's state for the status bar and the Sync card; undefined while the engine has not opened it. */
export function clientCacheLine(overview: SyncOverview | undefined): { label: string; tone: Tone; detail: string } | undefined {
  const cache = overview?.running ? overview.clientCache : undefined
  if (!cache) return undefined
  return { ...CACHE_STATES[cache.state], detail: cache.detail }
}

/** Keeps the store fresh while the view lives; returns the function that stops it. */
export function followSync(api: VaultTrayApi): { refresh: () => void; stop: () => void } {
  const refetch = debouncedRefetch(() => void refreshSync(api))
  const off = api.on('sync:changed', refetch.hint)
  const tick = setInterval(() => (clock.now = Date.now()), 5000)
  return {
    refresh: () => void refreshSync(api),
    stop: () => {
      off()
      refetch.stop()
      clearInterval(tick)
    },
  }
}
