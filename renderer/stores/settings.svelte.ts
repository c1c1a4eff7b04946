// The user's settings as settings:get reports them, the theme they choose applied to the page, and saving with
// the errors the engine found per field (nothing is saved while one is wrong).
import type { Settings, VaultTrayApi } from '../../main/contract/index.ts'

export const settings = $state<{ current?: Settings; contexts: string[]; problem?: string }>({ contexts: [] })

/** light or dark on <html> overrides the OS; system leaves it to the OS (see app.css). */
export function applyTheme(theme: Settings['theme'] | undefined): void {
  if (typeof document === 'undefined') return
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme
  else delete document.documentElement.dataset.theme
}

/** The field errors of a save, keyed by the input they belong to (vaultAuth.mount, proxyPort, …). */
export type FieldErrors = Partial<Record<string, string>>

/** A number field's text as the number to save, or NaN so the engine reports it. */
export function portFromText(text: string): number {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN
}

export async function refreshSettings(api: VaultTrayApi): Promise<void> {
  try {
    const [current, contexts] = await Promise.all([api.invoke('settings:get'), api.invoke('settings:contexts')])
    settings.current = current
    settings.contexts = contexts
    settings.problem = undefined
    applyTheme(current.theme)
  } catch (error) {
    settings.problem = (error as Error).message
  }
}

/** Saves; resolves to the field errors (empty when saved). */
export async function saveSettings(api: VaultTrayApi, draft: Settings): Promise<FieldErrors> {
  const result = await api.invoke('settings:save', draft)
  if (!result.ok) return result.errors
  settings.current = result.settings
  applyTheme(result.settings.theme)
  return {}
}

/** Keeps the settings (and the theme) current; returns the function that stops following. */
export function followSettings(api: VaultTrayApi): { refresh: () => void; stop: () => void } {
  const off = api.on('settings:changed', () => void refreshSettings(api))
  return { refresh: () => void refreshSettings(api), stop: off }
}
