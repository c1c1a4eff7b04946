// The sync engine as the Secrets view shows it: one record per resource, and who writes the kube-context.

/** write: this copy syncs; observe: it only reads (VSO runs, another copy writes, or by settings). */
export type SyncMode = 'write' | 'observe'

/** The custom resources the sync engine watches, by kind. */
export type ResourceKind = 'VaultConnection' | 'VaultAuth' | 'SecretTransformation' | 'VaultStaticSecret' | 'VaultDynamicSecret' | 'VaultPKISecret'

export type SyncState = 'pending' | 'synced' | 'failing' | 'invalid' | 'paused' | 'observed'

/** What the user asked of one resource: paused, or one reconcile at once. */
export interface ResourceControl {
  paused: boolean
  once: boolean
}

/** Why a resource fails, in the user's terms, and what to do about it. */
export interface Diagnosis {
  cause: string
  fix: string
  /** What the engine saw: the failing call and the server's own words. */
  evidence: string[]
}

/** What the UI shows for one resource. Never a secret value. */
export interface SyncRecord {
  key: string
  kind: ResourceKind
  namespace: string
  name: string
  destination?: string
  state: SyncState
  message: string
  lastSyncAt?: number
  nextSyncAt?: number
  drift: boolean
  diagnosis?: Diagnosis
  /** How Vault is reached from here (direct, mapped, port-forward). */
  route?: string
  control: ResourceControl
}

/** Who writes the kube-context, when the engine is in write mode: this copy, or the one holding the writer Lease. */
export interface WriterView {
  leader: boolean
  identity: string
  holder?: { identity: string; lease: string; since?: number }
  reason: string
}

/** Whether the sync engine's Vault tokens survive a restart, and why (sync/token-cache.ts). */
export interface ClientCacheView {
  /** persistent: sealed on disk; memory: kept in memory by configuration; locked: persistence failed this run. */
  state: 'persistent' | 'memory' | 'locked'
  detail: string
}

/** What the sync engine shows: whether it runs, on which kube-context, and one record per resource. */
export interface SyncOverview {
  running: boolean
  context?: string
  mode?: SyncMode
  /** Absent when the mode is observe by settings or because VSO runs: no writer Lease is wanted then. */
  writer?: WriterView
  /** Absent until the engine has opened its client cache, and when it runs without one. */
  clientCache?: ClientCacheView
  records: SyncRecord[]
}
