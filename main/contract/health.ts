// Health: whether Vault and the kube-context answer, as the status bar and Overview show it.

export type VaultHealth =
  | {
      address: string
      reachable: true
      initialized: boolean
      sealed: boolean
      standby: boolean
      version: string
      clusterName?: string
    }
  | { address: string; reachable: false; error: string }

export type KubeHealth =
  | { context: string; server: string; reachable: true; version: string }
  | { context: string; server: string; reachable: false; error: string }

/** The kube-context's health, or why there is none (no kubeconfig). */
export type KubeStatus = KubeHealth | { context: undefined; reachable: false; error: string }

export interface HealthReport {
  vault: VaultHealth
  kube: KubeStatus
}

/** What Overview adds to health: the engine's own token, and what the kube-context has in it. Slow parts are asked for apart. */
export interface OverviewDetails {
  /** The Vault token the engine uses (VAULT_TOKEN, the token helper or ~/.vault-token); never the token itself. */
  token: { source: string; displayName: string; policies: string[]; ttlSeconds: number; expiresAt?: number; renewable: boolean } | { error: string } | undefined
  kube:
    | {
        context: string
        crds: { installed: string[]; missing: string[] }
        operator: { running: boolean | 'unknown'; evidence: string[] }
        /** Permissions VSO's ClusterRole needs that this user lacks, in kubectl's words, with the feature each turns off. */
        preflight: { missing: { permission: string; feature: string }[]; summary: string }
      }
    | { error: string }
    | undefined
}
