/** The one-click lab: its 11 steps (live while `up` runs from the window), and where its Vault and cluster are. Never its root token. */
export interface LabView {
  exists: boolean
  healthy: boolean
  running: boolean
  dir: string
  vaultAddress?: string
  kubeconfig?: string
  /** In `up`'s order; detail says what a step changed, why it failed or did not run, or what `up` would still do. */
  steps: { id: string; title: string; state: 'pending' | 'running' | 'done' | 'failed' | 'skipped'; ms?: number; detail?: string }[]
  /** Why the last `up` from the window did not finish, and what to do. */
  error?: string
  warnings: string[]
}
