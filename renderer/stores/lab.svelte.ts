// The one-click lab as lab:status reports it; refetched on lab:changed while `up` runs. Never a secret: the root
// token stays in the keychain, and the view points to `lab token` for it.
import type { LabView, VaultTrayApi } from '../../main/contract/index.ts'
import type { Connection } from '../lib/bridge/websocket-api.ts'
import type { Tone } from './health.svelte.ts'
import { debouncedRefetch } from './refetch.ts'

export const lab = $state<{ view?: LabView; error?: string; starting: boolean }>({ starting: false })

type StepState = LabView['steps'][number]['state']

const TONES: Record<StepState, Tone> = { pending: 'muted', running: 'busy', done: 'ok', failed: 'error', skipped: 'warn' }
const LABELS: Record<StepState, string> = { pending: 'To do', running: 'Running', done: 'Done', failed: 'Failed', skipped: 'Not run' }

export const stepTone = (state: StepState): Tone => TONES[state]
export const stepLabel = (state: StepState): string => LABELS[state]

/** "0.4 s", "12.3 s", "1 min 05 s"; nothing for a step that has not run. */
export function describeDuration(ms: number | undefined): string {
  if (ms === undefined) return ''
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const seconds = Math.round(ms / 1000)
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`
}

/** One line for the whole lab: what a user wants to know first. */
export function labSummary(view: LabView): { label: string; tone: Tone } {
  const finished = view.steps.filter((step) => step.state === 'done').length
  if (view.running) return { label: `Setting up: ${finished} of ${view.steps.length} steps done`, tone: 'busy' }
  if (view.error || view.steps.some((step) => step.state === 'failed')) return { label: 'Not up: a step failed', tone: 'error' }
  if (view.healthy) return { label: 'Up and healthy', tone: 'ok' }
  if (!view.vaultAddress && !view.kubeconfig && finished === 0) return { label: 'Not set up', tone: 'muted' }
  return { label: 'Needs setting up again', tone: 'warn' }
}

/** The shell line that points the vault CLI and kubectl at the lab; no token in it. */
export function exportsLine(view: LabView): string | undefined {
  const parts = [view.vaultAddress && `VAULT_ADDR=${view.vaultAddress}`, view.kubeconfig && `KUBECONFIG=${view.kubeconfig}`].filter(Boolean)
  return parts.length ? `export ${parts.join(' ')}` : undefined
}

export async function refreshLab(api: VaultTrayApi): Promise<void> {
  try {
    lab.view = await api.invoke('lab:status')
    lab.error = undefined
  } catch (error) {
    lab.error = (error as Error).message
  }
}

/** Starts `lab up`; the steps then arrive as lab:changed hints. */
export async function startLab(api: VaultTrayApi): Promise<void> {
  lab.starting = true
  try {
    await api.invoke('lab:up')
    lab.error = undefined
  } catch (error) {
    lab.error = (error as Error).message
  } finally {
    lab.starting = false
  }
  await refreshLab(api)
}

/** Keeps the store fresh while the Lab view lives, and pulls again on every (re)connect; returns what stops it. */
export function followLab(api: VaultTrayApi, connection: Connection): () => void {
  const refetch = debouncedRefetch(() => void refreshLab(api))
  const off = api.on('lab:changed', refetch.hint)
  const offConnection = connection.onChange((state) => {
    if (state === 'open') void refreshLab(api)
  })
  if (connection.state === 'open') void refreshLab(api)
  return () => {
    off()
    offConnection()
    refetch.stop()
  }
}
