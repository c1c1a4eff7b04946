// Settings as the window edits them (checked field by field in main/engine/settings.ts).

export interface Settings {
  kubeContext?: string
  vaultAddress: string
  vaultAuth: { method: 'token' } | { method: 'kubernetes'; mount: string; role: string } | { method: 'approle'; mount: string; roleId: string }
  proxyPort: number
  cacheDir: string
  notifications: boolean
  theme: 'system' | 'light' | 'dark'
  /** How long a copied secret value stays on the clipboard before the window clears it again. */
  clipboardClearSeconds: number
  /** The transit key (MOUNT/KEY) that seals the proxy's caches across restarts; absent, they live in memory. */
  proxyPersist?: string
}

export type SettingsSaveResult = { ok: true; settings: Settings } | { ok: false; errors: Partial<Record<keyof Settings | string, string>> }
