// VaultStaticSecret: a KV v1 or v2 secret copied into a Kubernetes Secret and kept in step, by refreshAfter,
// by a periodic drift check, and by KV change notices (events where Vault has them, metadata polling otherwise).
import type { VaultStaticSecret } from './api.ts'
import { jitteredHorizonMs, parseDuration } from './duration.ts'
import { secretMac } from './hmac.ts'
import { timedVault } from './metrics.ts'
import { buildData, inspectDestination, reconcileSecret, restartTargets, writeSecret, writeStatus, type SyncControl, type SyncOutcome, type SyncServices } from './reconciler.ts'
import { failure } from './failure.ts'
import { FieldError } from './refs.ts'
import { healthConditions, type ConditionUpdate } from './status.ts'
import type { VaultAccess } from './vault-clients.ts'
import { trimSlashes as trim } from '../vault/paths.ts'

/** With HMAC on and no refreshAfter, VSO checks again after 48–54 s. */
const DEFAULT_REFRESH_MS = 60_000

/** The Vault API path the resource reads, as KV change notices name it. */
export function staticSecretPath(spec: VaultStaticSecret['spec']): string {
  return spec.type === 'kv-v2' ? `${trim(spec.mount)}/data/${trim(spec.path)}` : `${trim(spec.mount)}/${trim(spec.path)}`
}

export function validateStaticSecret(resource: VaultStaticSecret): void {
  const { spec } = resource
  if (!spec.mount) throw new FieldError('spec.mount', 'is required.')
  if (!spec.path) throw new FieldError('spec.path', 'is required.')
  if (spec.type !== 'kv-v1' && spec.type !== 'kv-v2') throw new FieldError('spec.type', `"${String(spec.type)}" is not a KV version: use kv-v1 or kv-v2.`)
  if (spec.version !== undefined && spec.type !== 'kv-v2') throw new FieldError('spec.version', 'applies to kv-v2 only.')
  if (spec.refreshAfter) parseDuration(spec.refreshAfter, 'spec.refreshAfter')
  if (!spec.destination?.name) throw new FieldError('spec.destination.name', 'is required.')
}

export function reconcileStaticSecret(resource: VaultStaticSecret, control: SyncControl, services: SyncServices): Promise<SyncOutcome> {
  return reconcileSecret(resource, services, { validate: validateStaticSecret, invalidReason: 'VaultStaticSecretError', failureReason: 'VaultStaticSecretError' }, async (access) => {
    const { spec } = resource
    const hmac = spec.hmacSecretData ?? true

    const data = await readStaticSecret(resource, access, services)

    const mac = hmac ? secretMac(await services.hmacKey(), data) : undefined
    const { existing, drift } = await inspectDestination(resource, services)
    const status = resource.status
    const firstSync = !status?.lastGeneration
    const changed = mac !== status?.secretMAC
    const due = !existing || drift || resource.metadata.generation !== status?.lastGeneration || changed || !hmac
    const write = due && !(control.once && existing && !firstSync)

    const updates: ConditionUpdate[] = []
    if (write) {
      await writeSecret(resource, existing, data, mac, services)
      if (hmac && changed && !firstSync) updates.push(...(await restartTargets(resource, services)))
    }
    let horizon = horizonMs(resource, services)
    let changes = ''
    if (spec.syncConfig?.instantUpdates && spec.type === 'kv-v2') {
      const feed = await services.instantUpdates(resource, access, { mount: trim(spec.mount), path: trim(spec.path) })
      if (feed.via === 'polling') horizon = horizon ? Math.min(horizon, feed.everyMs) : feed.everyMs
      changes = feed.via === 'events' ? ', instant updates by Vault events' : `, instant updates by reading every ${feed.everyMs / 1000}s (${feed.reason})`
    }
    const message = `Secret synced, horizon=${Math.round(horizon / 1000)}s${changes}`
    updates.push({ type: 'SecretSynced', ok: true, reason: 'Synced', message }, ...healthConditions(resource.kind, true))
    await writeStatus(resource, { lastGeneration: resource.metadata.generation, secretMAC: mac ?? status?.secretMAC, vaultClientMeta: access.meta() }, updates, services)
    if (write) await services.status.event(resource, 'Normal', 'SecretSynced', drift ? 'Secret synced: repaired a change made by hand' : 'Secret synced')
    return { ok: true, wrote: write, drift, message: write ? (drift ? 'repaired drift' : firstSync ? 'synced' : 'rotated') : 'unchanged', requeueAfterMs: horizon || undefined, route: access.route }
  })
}

/** Reads the secret from Vault and renders the destination's data; writes nothing (also the dry run). */
export async function readStaticSecret(resource: VaultStaticSecret, access: VaultAccess, services: SyncServices) {
  const { spec } = resource
  const token = await access.token().catch((error: unknown) => Promise.reject(failure('VaultClientError', error)))
  const headers = spec.namespace ? { 'X-Vault-Namespace': spec.namespace } : undefined
  const response = await timedVault(services.metrics, 'read', access.connection, () =>
    access.client.request<{ data: Record<string, unknown> }>({ method: 'GET', path: staticSecretPath(spec), token, headers, query: { version: spec.version || undefined } }),
  ).catch((error: unknown) => Promise.reject(failure('VaultClientError', error)))
  const kvData = spec.type === 'kv-v2' ? ((response.data.data as Record<string, unknown> | null) ?? {}) : response.data
  const metadata = spec.type === 'kv-v2' ? ((response.data.metadata as Record<string, unknown>) ?? {}) : {}
  return buildData(resource, { secrets: kvData, metadata, raw: response.data }, services)
}

function horizonMs(resource: VaultStaticSecret, services: SyncServices): number {
  const { refreshAfter, hmacSecretData } = resource.spec
  if (refreshAfter) return jitteredHorizonMs(parseDuration(refreshAfter, 'spec.refreshAfter'), services.clock)
  return hmacSecretData === false ? 0 : jitteredHorizonMs(DEFAULT_REFRESH_MS, services.clock)
}
