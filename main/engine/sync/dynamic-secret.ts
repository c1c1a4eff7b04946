// VaultDynamicSecret: credentials with a lease (database users, cloud keys), written to a Secret, renewed at
// renewalPercent of the lease, and replaced (with a rollout restart) when Vault will not extend them.
import { VaultError } from '../vault/client.ts'
import { maskId } from '../vault/renewal.ts'
import { DEFAULTS, type VaultDynamicSecret, type VaultDynamicSecretStatus } from './api.ts'
import { jitteredHorizonMs, parseDuration } from './duration.ts'
import { secretMac, type SecretData } from './hmac.ts'
import { timedVault } from './metrics.ts'
import { buildData, inspectDestination, reconcileSecret, restartTargets, spendMint, writeSecret, writeStatus, type SyncControl, type SyncOutcome, type SyncServices } from './reconciler.ts'
import { failure } from './failure.ts'
import { FieldError } from './refs.ts'
import { healthConditions, type ConditionUpdate } from './status.ts'
import type { VaultAccess } from './vault-clients.ts'
import { trimSlashes as trim } from '../vault/paths.ts'

interface LeasedResponse {
  lease_id: string
  lease_duration: number
  renewable: boolean
  request_id: string
  data: Record<string, unknown> | null
}

/**
 * Reasons to fetch that never count against the minting budget: the lease's own schedule, and a spec someone
 * edited on purpose. Drift, a new token, a missing destination and a first sync count.
 */
const UNBUDGETED_REASONS = new Set(['RefreshAfter', 'LeaseNotRenewable', 'SecretLeaseRenewalError', 'ResourceUpdated'])

/** Static-role fields that change with every read and say nothing about the credentials. */
const STATIC_CREDS_VOLATILE = ['ttl', 'rotation_schedule', 'rotation_period', 'last_vault_rotation', '_raw']

export function validateDynamicSecret(resource: VaultDynamicSecret): void {
  const { spec } = resource
  if (!spec.mount) throw new FieldError('spec.mount', 'is required.')
  if (!spec.path) throw new FieldError('spec.path', 'is required.')
  const percent = spec.renewalPercent ?? DEFAULTS.renewalPercent
  if (!Number.isInteger(percent) || percent < 0 || percent > DEFAULTS.maxRenewalPercent) throw new FieldError('spec.renewalPercent', `${percent} is out of range: use a whole number from 0 to 90.`)
  if (spec.requestHTTPMethod && !['GET', 'POST', 'PUT'].includes(spec.requestHTTPMethod)) throw new FieldError('spec.requestHTTPMethod', `"${spec.requestHTTPMethod}" is not allowed: use GET, POST or PUT.`)
  if (spec.refreshAfter) parseDuration(spec.refreshAfter, 'spec.refreshAfter')
  if (!spec.destination?.name) throw new FieldError('spec.destination.name', 'is required.')
}

/** Why credentials must be fetched now, in VSO's order and words; undefined when the lease can simply be kept. */
function syncReason(resource: VaultDynamicSecret, control: SyncControl, destinationExists: boolean, access: VaultAccess): string | undefined {
  const status = resource.status
  if (!status?.lastGeneration) return 'InitialSync'
  if (control.force) return 'ForceSync'
  if (status.lastGeneration !== resource.metadata.generation) return 'ResourceUpdated'
  if (!destinationExists) return 'InexistentDestination'
  const meta = access.meta()
  if (status.vaultClientMeta?.cacheKey && status.vaultClientMeta.cacheKey !== meta.cacheKey) return 'VaultClientConfigChanged'
  // leases die with the token that created them: a new token means new credentials
  if (status.vaultClientMeta?.id && meta.id && status.vaultClientMeta.id !== meta.id) return 'VaultTokenRotated'
  return undefined
}

export function reconcileDynamicSecret(resource: VaultDynamicSecret, control: SyncControl, services: SyncServices): Promise<SyncOutcome> {
  return reconcileSecret(resource, services, { validate: validateDynamicSecret, invalidReason: 'VaultClientConfigError', failureReason: 'VaultClientError' }, async (access) => {
    const { spec } = resource
    const token = await access.token().catch((error: unknown) => Promise.reject(failure('VaultClientError', error)))
    const macData = (data: SecretData) => (spec.allowStaticCreds ? Object.fromEntries(Object.entries(data).filter(([key]) => !STATIC_CREDS_VOLATILE.includes(key))) : data)
    const { existing, drift } = await inspectDestination(resource, services, macData)
    const status = resource.status
    const now = services.clock.now()
    const updates: ConditionUpdate[] = []

    let reason = syncReason(resource, control, Boolean(existing), access)
    if (control.once && existing && status?.lastGeneration && reason !== 'InitialSync') reason = undefined
    const lease = status?.secretLease
    // a restart, or a take-over from another copy, brings a new token: the lease that the destination holds is
    // resumed while Vault still knows it, instead of minting new credentials and restarting the workloads
    if (reason === 'VaultTokenRotated' && !drift && lease?.id && !spec.allowStaticCreds && (await leaseStillValid(resource, access, token, services))) reason = undefined
    if (!reason && lease && !spec.allowStaticCreds && !drift) {
      const since = status!.lastRenewalTime * 1000
      if (lease.duration > 0) {
        const renewAt = since + lease.duration * 1000 * (Math.min(spec.renewalPercent ?? DEFAULTS.renewalPercent, DEFAULTS.maxRenewalPercent) / 100)
        if (now < renewAt) return await keep(resource, access, updates, renewAt - now, services)
        const renewed = lease.renewable && lease.id ? await renew(resource, access, token, services) : undefined
        if (renewed) return await keep({ ...resource, status: { ...status!, lastRenewalTime: Math.floor(now / 1000), secretLease: renewed } }, access, [{ type: 'LeaseRenewal', ok: true, reason: 'SecretLeaseRenewal', message: `Renewed lease ${maskId(lease.id)}` }], horizonMs(renewed.duration, resource, services), services)
        reason = lease.renewable ? 'SecretLeaseRenewalError' : 'LeaseNotRenewable'
      } else if (spec.refreshAfter) {
        // no lease to renew: fetched again at each refreshAfter
        const dueAt = since + jitteredHorizonMs(parseDuration(spec.refreshAfter, 'spec.refreshAfter'), { random: () => 0 })
        if (now < dueAt) return await keep(resource, access, updates, dueAt - now, services)
        reason = 'RefreshAfter'
      } else {
        return await keep(resource, access, updates, 0, services)
      }
    }
    if (!reason && !drift && !spec.allowStaticCreds) return await keep(resource, access, updates, 0, services)

    // fetch credentials (or re-read static ones, or repair a hand-edited Secret with a fresh read)
    if (!spec.allowStaticCreds && !UNBUDGETED_REASONS.has(reason ?? '')) spendMint(resource, existing, control, services)
    const params = spec.params && Object.keys(spec.params).length > 0 ? spec.params : undefined
    const method = params ? 'PUT' : (spec.requestHTTPMethod ?? 'GET')
    const response = await timedVault(services.metrics, method === 'GET' ? 'read' : 'write', access.connection, () =>
      access.client.request<LeasedResponse>({ method, path: `${trim(spec.mount)}/${trim(spec.path)}`, token, body: params, headers: spec.namespace ? { 'X-Vault-Namespace': spec.namespace } : undefined }),
    ).catch((error: unknown) => Promise.reject(failure('VaultClientError', error)))
    const secrets = response.data ?? {}
    const data = buildData(resource, { secrets, metadata: {}, raw: secrets }, services)
    const mac = secretMac(await services.hmacKey(), macData(data))
    const staticUnchanged = spec.allowStaticCreds && !reason && !drift && mac === status?.secretMAC
    const firstSync = !status?.lastGeneration
    if (!staticUnchanged) {
      await writeSecret(resource, existing, data, mac, services)
      if (!firstSync && !drift) updates.push(...(await restartTargets(resource, services)))
    }
    const newLease = { id: response.lease_id ?? '', duration: response.lease_duration ?? 0, renewable: response.renewable ?? false, requestID: response.request_id ?? '' }
    const horizon = spec.allowStaticCreds ? staticHorizonMs(secrets, services) : horizonMs(newLease.duration, resource, services)
    const why = drift && !reason ? 'SecretDataDrift' : (reason ?? 'StaticCredsRead')
    const message = `Secret synced, lease_id="${maskId(newLease.id)}", horizon=${Math.round(horizon / 1000)}s, sync_reason="${why}"`
    updates.push({ type: 'SecretSynced', ok: true, reason: 'Synced', message }, ...healthConditions(resource.kind, true))
    const fields: Omit<VaultDynamicSecretStatus, 'conditions'> = {
      lastGeneration: resource.metadata.generation,
      lastRenewalTime: Math.floor(now / 1000),
      secretLease: newLease,
      secretMAC: mac,
      vaultClientMeta: access.meta(),
      ...(spec.allowStaticCreds ? { staticCredsMetaData: staticMeta(secrets) } : {}),
    }
    await writeStatus(resource, fields, updates, services)
    if (!staticUnchanged) await services.status.event(resource, 'Normal', firstSync ? 'SecretSynced' : 'SecretRotated', message)
    return { ok: true, wrote: !staticUnchanged, drift, message: staticUnchanged ? 'unchanged' : firstSync ? 'synced' : drift && !reason ? 'repaired drift' : 'rotated', requeueAfterMs: horizon || undefined, route: access.route, leaseId: newLease.id || undefined }
  })
}

/** Nothing to fetch: keep the lease, make sure the status says all is well, and come back at the horizon. */
async function keep(resource: VaultDynamicSecret, access: VaultAccess, updates: ConditionUpdate[], horizon: number, services: SyncServices): Promise<SyncOutcome> {
  const { conditions, ...fields } = resource.status!
  const message = `Secret synced, lease_id="${maskId(fields.secretLease.id)}", horizon=${Math.round(horizon / 1000)}s`
  await writeStatus(resource, { ...fields, vaultClientMeta: access.meta() }, [...updates, { type: 'SecretSynced', ok: true, reason: 'Synced', message }, ...healthConditions(resource.kind, true)], services)
  return { ok: true, wrote: false, drift: false, message: updates.length > 0 ? 'renewed' : 'unchanged', requeueAfterMs: horizon || undefined, route: access.route, leaseId: fields.secretLease.id || undefined }
}

/** `sys/leases/lookup` with our token: whether the lease in the status is alive (revoked, expired or unknown: not). */
async function leaseStillValid(resource: VaultDynamicSecret, access: VaultAccess, token: string, services: SyncServices): Promise<boolean> {
  const lease = resource.status!.secretLease
  try {
    const { data } = await access.client.request<{ data: { ttl: number } }>({ method: 'PUT', path: 'sys/leases/lookup', token, body: { lease_id: lease.id } })
    if (!(data.ttl > 0)) return false
    await services.status.event(resource, 'Normal', 'SecretLeaseRenewal', `Resumed lease ${maskId(lease.id)} (${data.ttl}s left) fetched under an earlier Vault token: no new credentials`)
    return true
  } catch (error) {
    if (error instanceof VaultError && (error.status === 0 || error.isSealed)) throw failure('VaultClientError', error)
    return false // Vault does not know the lease (revoked, expired) or will not say: new credentials, as VSO fetches them
  }
}

/** Renews the lease for its full duration; undefined when Vault will not (any more), so new credentials are due. */
async function renew(resource: VaultDynamicSecret, access: VaultAccess, token: string, services: SyncServices) {
  const lease = resource.status!.secretLease
  if (!lease.renewable) return undefined
  try {
    const renewed = await timedVault(services.metrics, 'renew', access.connection, () =>
      access.client.request<LeasedResponse>({ method: 'PUT', path: 'sys/leases/renew', token, body: { lease_id: lease.id, increment: lease.duration } }),
    )
    if (renewed.lease_duration < lease.duration) {
      // truncated by the max TTL: VSO fetches new credentials rather than run down the old ones
      await services.status.event(resource, 'Normal', 'SecretLeaseRenewal', `Lease ${maskId(lease.id)} reached its max TTL (${renewed.lease_duration}s left): fetching new credentials`)
      return undefined
    }
    await services.status.event(resource, 'Normal', 'SecretLeaseRenewal', `Renewed lease ${maskId(lease.id)} for ${renewed.lease_duration}s`)
    return { ...lease, duration: renewed.lease_duration, renewable: renewed.renewable }
  } catch (error) {
    if (error instanceof VaultError && error.status !== 0 && !error.isSealed) {
      await services.status.event(resource, 'Warning', 'SecretLeaseRenewalError', `Could not renew lease ${maskId(lease.id)}: ${error.message}; fetching new credentials`)
      return undefined
    }
    throw failure('SecretLeaseRenewalError', error)
  }
}

/** VSO: lease × (renewalPercent + 10 − jitter[0, 10)) %; refreshAfter when the lease has no duration. */
function horizonMs(durationSeconds: number, resource: VaultDynamicSecret, services: SyncServices): number {
  if (durationSeconds > 0) {
    const percent = Math.min(resource.spec.renewalPercent ?? DEFAULTS.renewalPercent, DEFAULTS.maxRenewalPercent) + 10 - services.clock.random() * 10
    return Math.round(durationSeconds * 10 * percent)
  }
  return resource.spec.refreshAfter ? jitteredHorizonMs(parseDuration(resource.spec.refreshAfter, 'spec.refreshAfter'), services.clock) : 0
}

/** Static credentials are read again when Vault rotates them: at their ttl, plus a little. */
function staticHorizonMs(data: Record<string, unknown>, services: SyncServices): number {
  const ttl = Number(data.ttl ?? 0)
  return ttl > 0 ? ttl * 1000 + 500 + Math.round(services.clock.random() * 150) : 0
}

function staticMeta(data: Record<string, unknown>) {
  return { lastVaultRotation: Date.parse(String(data.last_vault_rotation ?? '')) / 1000 || 0, rotationPeriod: Number(data.rotation_period ?? 0), rotationSchedule: String(data.rotation_schedule ?? ''), ttl: Number(data.ttl ?? 0) }
}
