// The sync engine's metrics: VSO's names where VSO has them (so its dashboards work), Vault Tray's own for the
// rest of the list in the VSO announcement. Labels carry kinds, namespaces and names, never a value or a token.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** What the gauges read at scrape time. */
export interface SyncSnapshot {
  /** Managed destination Secrets by namespace and kind of the resource that writes them. */
  secrets: { namespace: string; kind: string }[]
  /** Custom resources by kind, with whether each is valid (synced / healthy). */
  resources: { kind: string; namespace: string; name: string; valid: boolean }[]
  authMethods: string[]
  /** VaultAuths naming a missing VaultConnection, secrets naming a missing VaultAuth. */
  orphans: { kind: string }[]
  queueDepth: number
  activeWorkers: number
}

export function syncMetrics(registry: Registry, snapshot: () => SyncSnapshot, version: string) {
  const registers = [registry]
  new Gauge({ name: 'vso_build_info', help: 'Build information of the sync engine (Vault Tray), under VSO\'s metric name.', labelNames: ['git_version', 'platform'] as const, registers }).set({ git_version: version, platform: `${process.platform}/${process.arch}` }, 1)

  const gauge = (name: string, help: string, labelNames: readonly string[], fill: (gauge: Gauge, now: SyncSnapshot) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset()
        fill(this, snapshot())
      },
    })
  const countBy = <T>(items: T[], key: (item: T) => string) => items.reduce((counts, item) => counts.set(key(item), (counts.get(key(item)) ?? 0) + 1), new Map<string, number>())

  gauge('controller_resource_status', 'Whether each resource is valid (1) or not (0), as VSO reports it.', ['controller', 'namespace', 'name'], (g, now) => {
    for (const resource of now.resources) g.set({ controller: resource.kind.toLowerCase(), namespace: resource.namespace, name: resource.name }, resource.valid ? 1 : 0)
  })
  gauge('vault_tray_sync_resources', 'Custom resources seen, by kind.', ['kind'], (g, now) => {
    for (const [kind, count] of countBy(now.resources, (resource) => resource.kind)) g.set({ kind }, count)
  })
  gauge('vault_tray_sync_secrets', 'Destination Secrets managed, by namespace and by the kind that writes them.', ['namespace', 'kind'], (g, now) => {
    for (const [key, count] of countBy(now.secrets, (secret) => `${secret.namespace}\0${secret.kind}`)) {
      const [namespace, kind] = key.split('\0') as [string, string]
      g.set({ namespace, kind }, count)
    }
  })
  gauge('vault_tray_sync_namespaces', 'Kubernetes namespaces with at least one resource being synced.', [], (g, now) => g.set(new Set(now.resources.map((resource) => resource.namespace)).size))
  gauge('vault_tray_vault_connections', 'VaultConnection resources.', [], (g, now) => g.set(now.resources.filter((resource) => resource.kind === 'VaultConnection').length))
  gauge('vault_tray_auth_methods', 'VaultAuth resources by auth method in use.', ['method'], (g, now) => {
    for (const [method, count] of countBy(now.authMethods, (method) => method)) g.set({ method }, count)
  })
  gauge('vault_tray_orphaned_resources', 'VaultAuths whose VaultConnection, and secrets whose VaultAuth, does not exist.', ['kind'], (g, now) => {
    for (const [kind, count] of countBy(now.orphans, (orphan) => orphan.kind)) g.set({ kind }, count)
  })
  gauge('workqueue_depth', 'Resources waiting for a worker.', ['name'], (g, now) => g.set({ name: 'sync' }, now.queueDepth))
  gauge('controller_runtime_active_workers', 'Reconciles running now.', ['controller'], (g, now) => g.set({ controller: 'sync' }, now.activeWorkers))

  return {
    reconciles: new Counter({ name: 'controller_runtime_reconcile_total', help: 'Reconciles by kind and result (success, error, requeue_after).', labelNames: ['controller', 'result'] as const, registers }),
    reconcileErrors: new Counter({ name: 'controller_runtime_reconcile_errors_total', help: 'Reconciles that failed, by kind.', labelNames: ['controller'] as const, registers }),
    reconcileSeconds: new Histogram({ name: 'controller_runtime_reconcile_time_seconds', help: 'Time per reconcile, by kind.', labelNames: ['controller'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
    syncs: new Counter({ name: 'vault_tray_secret_syncs_total', help: 'Sync operations by kind and outcome (synced, rotated, repaired, unchanged, failed).', labelNames: ['kind', 'outcome'] as const, registers }),
    vaultOperations: new Counter({ name: 'vso_client_operations_total', help: 'Vault operations by operation (login, read, renew, write) and VaultConnection.', labelNames: ['operation', 'vault_connection'] as const, registers }),
    vaultOperationErrors: new Counter({ name: 'vso_client_operations_errors_total', help: 'Vault operations that failed.', labelNames: ['operation', 'vault_connection'] as const, registers }),
    vaultOperationSeconds: new Histogram({ name: 'vso_client_operations_time_seconds', help: 'Time per Vault operation.', labelNames: ['operation', 'vault_connection'] as const, buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
    authFailures: new Counter({ name: 'vault_tray_auth_failures_total', help: 'Vault logins that failed, by auth method.', labelNames: ['method'] as const, registers }),
    apiserverFailures: new Counter({ name: 'vault_tray_apiserver_failures_total', help: 'Requests to and watches of the apiserver that failed.', registers }),
  }
}

export type SyncMetrics = ReturnType<typeof syncMetrics>

/** Times a Vault operation into the VSO operation metrics. */
export async function timedVault<T>(metrics: SyncMetrics, operation: string, connection: string, call: () => Promise<T>): Promise<T> {
  const labels = { operation, vault_connection: connection }
  const end = metrics.vaultOperationSeconds.startTimer(labels)
  metrics.vaultOperations.inc(labels)
  try {
    return await call()
  } catch (error) {
    metrics.vaultOperationErrors.inc(labels)
    throw error
  } finally {
    end()
  }
}
