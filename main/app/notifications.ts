// Desktop notifications for what needs action: a resource that starts failing, a lease that will soon end for
// good, a Vault that becomes sealed. Only changes notify (never the same thing twice in a row), and nothing when
// the user turned notifications off.
import type { HealthReport, LeaseView, SyncRecord } from '../contract/index.ts'
import { leaseUrgency } from '../contract/lease-urgency.ts'

export interface Notice {
  title: string
  body: string
  /** What it is about, so the shell can open the right view on click: a resource key, a lease handle, or 'vault'. */
  subject: string
}

export interface WatchedState {
  health: HealthReport | undefined
  records: readonly SyncRecord[]
  leases: readonly LeaseView[]
  now: number
}

const failingKeys = (records: readonly SyncRecord[]) => new Set(records.filter((record) => record.state === 'failing' || record.state === 'invalid').map((record) => record.key))
const endingHandles = (state: WatchedState) => new Set(state.leases.filter((lease) => leaseUrgency(lease, state.now) === 'warning').map((lease) => lease.handle))
const sealed = (health: HealthReport | undefined) => Boolean(health?.vault.reachable && health.vault.sealed)

export function notificationsFor(previous: WatchedState | undefined, next: WatchedState, enabled: boolean): Notice[] {
  if (!enabled) return []
  const notices: Notice[] = []
  if (sealed(next.health) && !sealed(previous?.health)) notices.push({ title: 'Vault is sealed', body: `${next.health!.vault.address} is sealed: nothing syncs until it is unsealed.`, subject: 'vault' })
  const wasFailing = failingKeys(previous?.records ?? [])
  for (const record of next.records) {
    if ((record.state === 'failing' || record.state === 'invalid') && !wasFailing.has(record.key)) {
      notices.push({ title: `${record.kind} ${record.namespace}/${record.name} is not synced`, body: record.diagnosis ? record.diagnosis.cause : record.message, subject: record.key })
    }
  }
  const wasEnding = previous ? endingHandles(previous) : new Set<string>()
  for (const lease of next.leases) {
    if (endingHandles(next).has(lease.handle) && !wasEnding.has(lease.handle)) {
      notices.push({ title: 'A lease will end for good soon', body: `${lease.owner}: it cannot be renewed much longer; new credentials${lease.restarts.length ? ` and a restart of ${lease.restarts.join(', ')}` : ''} will follow.`, subject: lease.handle })
    }
  }
  return notices
}
