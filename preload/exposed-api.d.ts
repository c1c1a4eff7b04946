import type { VaultTrayApi } from '../main/contract/index.ts'

declare global {
  interface Window {
    readonly vaultTray: VaultTrayApi
  }
}
