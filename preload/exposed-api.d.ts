import type { VaultTrayApi } from './api.ts'

declare global {
  interface Window {
    readonly vaultTray: VaultTrayApi
  }
}
