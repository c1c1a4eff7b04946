// What the lab's steps share: where the lab lives, what it remembers, and the servers once they are up.
import type { KubeConfig } from '@kubernetes/client-node'
import type { KubeApi } from '../kube/api.ts'
import type { VaultClient } from '../vault/client.ts'
import type { LabSecrets, LabSecretStore } from './secrets.ts'
import type { ClusterProviderState, LabPaths, PostgresProviderState, StateStore, VaultProviderState } from './state.ts'

export interface Providers {
  vault: VaultProviderState
  cluster: ClusterProviderState
  postgres: PostgresProviderState
}

/** Ports the user asked for; the lab chooses the others. */
export interface LabPorts {
  vault?: number
  kube?: number
  postgres?: number
}

export interface LabTimeouts {
  /** Each server, from start until it answers. */
  serverMs: number
  /** The sync engine, until both Secrets are valid. */
  syncMs: number
}

export interface VaultTarget {
  address: string
  client: VaultClient
  token: string
  /** The lab started this Vault: everything in it is the lab's to change. */
  owned: boolean
}

export interface KubeTarget {
  config: KubeConfig
  api: KubeApi
  /** The apiserver address Vault reviews tokens with, and the CA that signed its certificate. */
  host: string
  caCert?: string
  owned: boolean
}

export interface PostgresTarget {
  host: string
  port: number
  user: string
  password: string
  database: string
  ssl: boolean
  owned: boolean
}

export interface LabContext {
  paths: LabPaths
  store: StateStore
  secrets: LabSecretStore
  /** The root token, unseal key and PostgreSQL password, as loaded from the keychain (or the fallback file). */
  material: LabSecrets
  providers: Providers
  env: NodeJS.ProcessEnv
  ports: LabPorts
  timeouts: LabTimeouts
  /** The token of a Vault that is not the lab's own (VAULT_TOKEN). */
  vaultToken?: string
  /** The password of a PostgreSQL that is not the lab's own (PGPASSWORD, or the --postgres URL). */
  postgresPasswordOption?: string
  /** True when the PostgreSQL password differs from the one Vault was configured with. */
  postgresPasswordChanged: boolean
  vault?: VaultTarget
  kube?: KubeTarget
  postgres?: PostgresTarget
  /** Keeps `material` (keychain, else the fallback file) and records where, before anything depends on it. */
  saveMaterial(): Promise<void>
  /** Work two steps both need (the kubernetes auth mount), done once. */
  once<T>(key: string, work: () => Promise<T>): Promise<T>
  /** Closed when the command ends, so it can exit: connection pools, clients. */
  onClose(close: () => void | Promise<void>): void
}
