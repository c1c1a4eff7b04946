// The health of the Vault and the kube-context, as health:get reports it; refetched on health:changed.
import type { HealthReport, VaultTrayApi } from '../../main/contract/index.ts'
import { debouncedRefetch } from './refetch.ts'

export const health = $state<{ report?: HealthReport; error?: string }>({})

export type Tone = 'ok' | 'busy' | 'warn' | 'error' | 'muted'

/** One word and a tone for the Vault. */
export function vaultStatus(vault: HealthReport['vault']): { label: string; tone: Tone } {
  if (!vault.reachable) return { label: 'Unreachable', tone: 'error' }
  if (!vault.initialized) return { label: 'Not initialized', tone: 'warn' }
  if (vault.sealed) return { label: 'Sealed', tone: 'error' }
  if (vault.standby) return { label: 'Standby', tone: 'ok' }
  return { label: 'Healthy', tone: 'ok' }
}

/** One word and a tone for the kube-context; no context at all is its own state, not an error. */
export function kubeStatus(kube: HealthReport['kube']): { label: string; tone: Tone } {
  if (kube.context === undefined) return { label: 'No kube-context', tone: 'muted' }
  return kube.reachable ? { label: 'Reachable', tone: 'ok' } : { label: 'Unreachable', tone: 'error' }
}

export async function refreshHealth(api: VaultTrayApi): Promise<void> {
  try {
    health.report = await api.invoke('health:get')
    health.error = undefined
  } catch (error) {
    health.error = (error as Error).message
  }
}

/** Keeps the store fresh while the view lives; returns the function that stops it. */
export function followHealth(api: VaultTrayApi): { refresh: () => void; stop: () => void } {
  const refetch = debouncedRefetch(() => void refreshHealth(api))
  const off = api.on('health:changed', refetch.hint)
  return {
    refresh: () => void refreshHealth(api),
    stop: () => {
      off()
      refetch.stop()
    },
  }
}
