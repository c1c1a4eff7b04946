// The tray's one word: the worst of Vault's health, the sync engine's resources and the leases, with the reason
// for its tooltip. Pure, so it is tested without Electron; the shell turns it into an icon.
import type { HealthReport, LeaseView, SyncRecord } from '../contract/index.ts'
import { leaseUrgency } from '../contract/lease-urgency.ts'

export type TrayState = 'ok' | 'syncing' | 'warning' | 'error' | 'sealed'

/** Worst first. */
export const TRAY_STATES: readonly TrayState[] = ['sealed', 'error', 'warning', 'syncing', 'ok']

export interface TrayInput {
  health: HealthReport | undefined
  records: readonly SyncRecord[]
  leases: readonly LeaseView[]
  now: number
}

export function trayState({ health, records, leases, now }: TrayInput): { state: TrayState; reason: string } {
  const vault = health?.vault
  if (vault?.reachable && vault.sealed) return { state: 'sealed', reason: `Vault at ${vault.address} is sealed` }
  const failing = records.filter((record) => record.state === 'failing' || record.state === 'invalid')
  if (vault && !vault.reachable) return { state: 'error', reason: `Vault at ${vault.address} cannot be reached` }
  if (failing.length) return { state: 'error', reason: `${failing.length} resource${failing.length === 1 ? '' : 's'} not synced (${failing[0]!.key}${failing.length > 1 ? ', …' : ''})` }
  if (health?.kube.context !== undefined && !health.kube.reachable) return { state: 'error', reason: `kube-context ${health.kube.context} cannot be reached` }
  const ending = leases.filter((lease) => ['warning', 'expired'].includes(leaseUrgency(lease, now)))
  if (ending.length) return { state: 'warning', reason: `${ending.length} lease${ending.length === 1 ? '' : 's'} will end for good soon (${ending[0]!.owner})` }
  const pending = records.filter((record) => record.state === 'pending').length
  if (pending) return { state: 'syncing', reason: `syncing ${pending} resource${pending === 1 ? '' : 's'}` }
  return { state: 'ok', reason: records.length ? `${records.length} resources synced` : 'all well' }
}
