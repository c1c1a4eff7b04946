// What the three secret reconcilers share, in the order VSO's reconcilers run it: resolve the Vault client →
// build the data → drift check → write → rollout restart → status and events. Each kind's reconciler
// (static-secret.ts, dynamic-secret.ts, pki-secret.ts) decides only what to read from Vault and when.
import type { Clock } from '../clock.ts'
import { FIELD_MANAGER, isConflict, type KubeApi } from '../kube/api.ts'
import type { Logger } from '../telemetry/log.ts'
import { VaultError } from '../vault/client.ts'
import type { Condition, SecretResource, SecretTransformation, VaultAuth, VaultConnection } from './api.ts'
import { readDestination, writeDestination, pruneOrphans, DestinationError, type KubeSecret } from './destination.ts'
import type { Diagnosis } from '../../contract/index.ts'
import { diagnose } from './diagnose.ts'
import { decodeSecretData, macEquals, secretMac, type SecretData } from './hmac.ts'
import type { SyncMetrics } from './metrics.ts'
import { lastDataWriter, MINT_BUDGET, type MintBudget } from './mint-budget.ts'
import { FieldError, namespaceAllowed, parseRef, refKey } from './refs.ts'
import type { RolloutRestarter } from './rollout.ts'
import { failure, SyncFailure } from './failure.ts'
import { healthConditions, mergeConditions, type ConditionUpdate, type EventReason, type StatusWriter } from './status.ts'
import { buildSecretData, TransformationError, type ResolvedTransformationRef, type TransformationInput } from './transformation.ts'
import type { VaultAccess, VaultClientFactory } from './vault-clients.ts'

/** The informer caches the reconcilers read references from, without a request each. */
export interface ResourceLookup {
  connection(namespace: string, name: string): VaultConnection | undefined
  auth(namespace: string, name: string): VaultAuth | undefined
  transformation(namespace: string, name: string): SecretTransformation | undefined
  /** Secrets in the namespace that carry this owner's UID label. */
  ownedSecrets(namespace: string, ownerUid: string): KubeSecret[]
  /** A Secret carrying VSO's owner labels, as the watch last saw it. */
  labelledSecret(namespace: string, name: string): KubeSecret | undefined
}

export interface SyncServices {
  kube: KubeApi
  clock: Clock
  status: StatusWriter
  vault: VaultClientFactory
  rollout: RolloutRestarter
  lookup: ResourceLookup
  hmacKey: () => Promise<Buffer>
  operatorNamespace: string
  /** `--global-transformation-options=exclude-raw`. */
  excludeRaw: boolean
  metrics: SyncMetrics
  log: Logger
  /**
   * `syncConfig.instantUpdates`: subscribes the resource to Vault's KV events where Vault has an event stream;
   * where it has none, says so, and the reconciler reads the secret again every `instantPollMs` instead.
   */
  instantUpdates: (resource: SecretResource, access: VaultAccess, path: { mount: string; path: string }) => Promise<{ via: 'events' } | { via: 'polling'; everyMs: number; reason: string }>
  /** The MAC of what this engine last wrote to each destination, to tell our own writes from hand edits. */
  written: Map<string, string>
  /** New credentials per resource that nothing scheduled: capped, so a fight over a destination mints no storm. */
  mints: MintBudget
}

/** What the engine asks of one reconcile, beyond the resource itself. */
export interface SyncControl {
  /** *sync now*: fetch from Vault even if nothing is due (VSO's ForceSync). */
  force: boolean
  /** *sync once*: the destination, once written, is never rewritten. */
  once: boolean
}

/** What one reconcile did, for the UI, the bus and the metrics. */
export interface SyncOutcome {
  ok: boolean
  /** The destination was written (first sync, rotation, drift repair). */
  wrote: boolean
  drift: boolean
  message: string
  diagnosis?: Diagnosis
  /** A failure that will not heal by itself: the resource must change (a bad field, a template error). */
  invalid?: boolean
  requeueAfterMs?: number
  route?: string
  /** The lease the destination's data came with (dynamic secrets), to revoke on deletion. */
  leaseId?: string
}

/** The fields each kind's CRD requires in status, for a resource that has never synced. */
const EMPTY_STATUS: Record<SecretResource['kind'], object> = {
  VaultStaticSecret: { lastGeneration: 0 },
  VaultDynamicSecret: { lastGeneration: 0, lastRenewalTime: 0, secretLease: { id: '', duration: 0, renewable: false, requestID: '' } },
  VaultPKISecret: { lastGeneration: 0, lastRotation: 0, valid: false, error: '' },
}

/** Resolves the resource's VaultAuth and VaultConnection, checks allowedNamespaces, and gets a client. */
export async function resolveVault(resource: SecretResource, services: SyncServices): Promise<VaultAccess> {
  const { lookup, operatorNamespace } = services
  const namespace = resource.metadata.namespace
  try {
    const authRef = parseRef(resource.spec.vaultAuthRef, 'spec.vaultAuthRef', namespace, operatorNamespace)
    const auth = lookup.auth(authRef.namespace, authRef.name)
    if (!auth) throw new FieldError('spec.vaultAuthRef', `VaultAuth ${refKey(authRef)} does not exist${resource.spec.vaultAuthRef ? '' : ' (an empty vaultAuthRef means the VaultAuth named default in the operator namespace)'}.`)
    if (!namespaceAllowed(auth, namespace, operatorNamespace)) throw new FieldError('spec.vaultAuthRef', `VaultAuth ${refKey(authRef)} does not allow namespace ${namespace}: add it to the VaultAuth's spec.allowedNamespaces.`)
    const connectionRef = parseRef(auth.spec.vaultConnectionRef, `VaultAuth ${refKey(authRef)} spec.vaultConnectionRef`, auth.metadata.namespace, operatorNamespace)
    const connection = lookup.connection(connectionRef.namespace, connectionRef.name)
    if (!connection) throw new FieldError('spec.vaultAuthRef', `VaultConnection ${refKey(connectionRef)}, named by VaultAuth ${refKey(authRef)}, does not exist.`)
    return await services.vault.get(connection, auth, namespace)
  } catch (error) {
    throw failure('VaultClientConfigError', error)
  }
}

/** The SecretTransformations named by the destination, as they are in the cluster now. */
export function resolveTransformationRefs(resource: SecretResource, lookup: ResourceLookup): ResolvedTransformationRef[] {
  return (resource.spec.destination.transformation?.transformationRefs ?? []).map((ref, index) => {
    const namespace = ref.namespace ?? resource.metadata.namespace
    const found = lookup.transformation(namespace, ref.name)
    if (!found) throw failure('TransformationError', new FieldError(`spec.destination.transformation.transformationRefs[${index}]`, `SecretTransformation ${namespace}/${ref.name} does not exist.`))
    return { ref, namespace, spec: found.spec, valid: found.status?.valid !== false }
  })
}

export function buildData(resource: SecretResource, input: Omit<TransformationInput, 'labels' | 'annotations' | 'owner'>, services: SyncServices): SecretData {
  try {
    const refs = resolveTransformationRefs(resource, services.lookup)
    return buildSecretData(
      { ...input, labels: resource.metadata.labels ?? {}, annotations: resource.metadata.annotations ?? {}, owner: { namespace: resource.metadata.namespace, name: resource.metadata.name } },
      resource.spec.destination.transformation,
      refs,
      { excludeRaw: services.excludeRaw },
    )
  } catch (error) {
    if (error instanceof SyncFailure) throw error
    throw failure(error instanceof TransformationError ? 'TransformationError' : 'SecretDataBuilderError', error, false)
  }
}

/** The destination as it is now, and whether it drifted from what status says was written. */
export async function inspectDestination(resource: SecretResource, services: SyncServices, macData: (data: SecretData) => SecretData = (data) => data) {
  let existing: KubeSecret | undefined
  try {
    // a Secret we create carries our labels, so the watch has it: no request. One that is not there yet, or
    // that someone else made, shows up as a conflict when it is created, and is read then (writeSecret).
    existing = resource.spec.destination.create ? services.lookup.labelledSecret(resource.metadata.namespace, resource.spec.destination.name) : await readDestination(services.kube, resource)
  } catch (error) {
    throw failure('SecretSyncError', error)
  }
  const recorded = (resource.status as { secretMAC?: string } | undefined)?.secretMAC
  const liveMac = existing && recorded ? secretMac(await services.hmacKey(), macData(decodeSecretData(existing.data))) : undefined
  return { existing, drift: Boolean(existing && recorded && !macEquals(liveMac, recorded)) }
}

export async function writeSecret(resource: SecretResource, existing: KubeSecret | undefined, data: SecretData, mac: string | undefined, services: SyncServices): Promise<void> {
  const { uid } = resource.metadata
  const before = services.written.get(uid)
  // recorded before the write: the watch may report our own update before the write call returns
  if (mac) services.written.set(uid, mac)
  try {
    try {
      await writeDestination(services.kube, resource, existing, data)
    } catch (error) {
      // the watch was behind (or the Secret is someone else's): read it and decide again, once
      if (!isConflict(error)) throw error
      await writeDestination(services.kube, resource, await readDestination(services.kube, resource), data)
    }
    if (resource.spec.destination.create) await pruneOrphans(services.kube, resource, services.lookup.ownedSecrets(resource.metadata.namespace, resource.metadata.uid))
  } catch (error) {
    if (before) services.written.set(uid, before)
    else services.written.delete(uid)
    throw failure('SecretSyncError', error, !(error instanceof DestinationError))
  }
}

/**
 * Before new credentials that no renewal or refreshAfter called for (a drift repair, a new token, a missing
 * destination): throws once the resource has used its budget, naming who else writes the destination. The last
 * good Secret is kept; the resource is tried again when the budget allows. A user's *Sync now* is not held back.
 */
export function spendMint(resource: SecretResource, existing: KubeSecret | undefined, control: SyncControl, services: SyncServices): void {
  const waitMs = control.force ? undefined : services.mints.exhausted(resource.metadata.uid)
  if (waitMs === undefined) return services.mints.record(resource.metadata.uid)
  const destination = `${resource.metadata.namespace}/${resource.spec.destination.name}`
  const writer = lastDataWriter(existing, FIELD_MANAGER)
  const message =
    `Someone else writes Secret ${destination} (last writer: ${writer ?? 'unknown, no other field manager in its managedFields'}): ` +
    `${MINT_BUDGET.limit} new ${resource.kind === 'VaultPKISecret' ? 'certificates' : 'leases'} in ${MINT_BUDGET.windowMs / 60_000} min is the limit, so no more are made; the Secret is left as it is. ` +
    `Stop the other writer (another Vault Tray, VSO, or a script), then Sync now; minting resumes by itself in ${Math.ceil(waitMs / 1000)} s.`
  throw new SyncFailure('MintBudgetExceeded', new Error(message), false, Math.max(1_000, waitMs))
}

/** Restarts the targets and says so with VSO's events and the RolloutRestart condition. */
export async function restartTargets(resource: SecretResource, services: SyncServices): Promise<ConditionUpdate[]> {
  const targets = resource.spec.rolloutRestartTargets ?? []
  if (targets.length === 0) return []
  const results = await services.rollout.restart(resource.metadata.namespace, targets)
  for (const result of results) {
    if (result.ok) await services.status.event(resource, 'Normal', 'RolloutRestartTriggered', `Rollout restart triggered for ${result.target.kind} ${result.target.name}`)
    else await services.status.event(resource, 'Warning', result.loop ? 'RolloutRestartLoop' : 'RolloutRestartFailed', result.message)
  }
  const failed = results.filter((result) => !result.ok)
  return [
    failed.length === 0
      ? { type: 'RolloutRestart', ok: true, reason: 'RolloutRestartTriggered', message: results.map((result) => result.message).join('; ') }
      : { type: 'RolloutRestart', ok: false, reason: 'RolloutRestartTriggeredFailed', message: failed.map((result) => result.message).join('; ') },
  ]
}

/** Writes the status (only when it changed, so an idle refresh costs no write) with the merged conditions. */
export async function writeStatus<R extends SecretResource>(resource: R, fields: Omit<NonNullable<R['status']>, 'conditions'>, updates: ConditionUpdate[], services: SyncServices): Promise<void> {
  const previous = resource.status as (NonNullable<R['status']> & { conditions?: Condition[] }) | undefined
  const conditions = mergeConditions(previous?.conditions, updates, resource.metadata.generation, services.status.now())
  const status = { ...fields, conditions } as NonNullable<R['status']>
  if (previous && sameStatus(previous, status)) return
  try {
    await services.status.writeStatus(resource, status)
  } catch (error) {
    await services.status.event(resource, 'Warning', 'StatusUpdateError', `Failed to update the status: ${(error as Error).message}`).catch(() => {})
    throw failure('StatusUpdateError', error)
  }
}

/** Equal but for condition messages that only carry a new horizon. */
function sameStatus(a: object, b: object): boolean {
  const strip = (status: object) => JSON.stringify({ ...status, conditions: ((status as { conditions?: Condition[] }).conditions ?? []).map(({ type, status: s, reason, lastTransitionTime, observedGeneration }) => ({ type, status: s, reason, lastTransitionTime, observedGeneration })) })
  return strip(a) === strip(b)
}

/**
 * One reconcile of a secret kind, in VSO's order: validate (a bad field fails before any Vault call and is not
 * retried until the resource changes), resolve the Vault client, then the kind's own work. Every failure goes
 * through recordFailure; one that may heal by itself is thrown on, for the queue's backoff.
 */
export async function reconcileSecret<R extends SecretResource>(
  resource: R,
  services: SyncServices,
  kind: { validate: (resource: R) => void; invalidReason: EventReason; failureReason: EventReason },
  sync: (access: VaultAccess) => Promise<SyncOutcome>,
): Promise<SyncOutcome> {
  let access: VaultAccess | undefined
  try {
    try {
      kind.validate(resource)
    } catch (error) {
      throw failure(kind.invalidReason, error, false)
    }
    access = await resolveVault(resource, services)
    return await sync(access)
  } catch (error) {
    const outcome = await recordFailure(resource, error instanceof SyncFailure ? error : failure(kind.failureReason, error), access, services)
    if (error instanceof SyncFailure && !error.retry) return error.retryAfterMs ? { ...outcome, invalid: false, requeueAfterMs: error.retryAfterMs } : outcome
    throw Object.assign(error as Error, { outcome })
  }
}

/**
 * The one failure path: a Warning event with VSO's reason, SecretSynced/Healthy/Ready False, and a cause and fix
 * for the UI. A token Vault refused is dropped so the next attempt logs in again.
 */
export async function recordFailure(resource: SecretResource, error: SyncFailure, access: VaultAccess | undefined, services: SyncServices): Promise<SyncOutcome> {
  if (access && error.error instanceof VaultError && error.error.isPermissionDenied) access.taint()
  const diagnosis = await diagnose(resource, error, access)
  const message = error.message
  await services.status.event(resource, 'Warning', error.reason, message).catch(() => {})
  const updates: ConditionUpdate[] = [{ type: 'SecretSynced', ok: false, reason: error.reason === 'MintBudgetExceeded' ? error.reason : 'Synced', message }, ...healthConditions(resource.kind, false, message)]
  // everything that was good is kept: only the conditions change
  const { conditions, ...kept } = (resource.status ?? {}) as Record<string, unknown>
  const pkiFields = resource.kind === 'VaultPKISecret' ? { valid: false, error: error.reason } : {}
  await writeStatus(resource, { ...EMPTY_STATUS[resource.kind], ...kept, ...pkiFields } as never, updates, services).catch(() => {})
  return { ok: false, wrote: false, drift: false, message, diagnosis, invalid: !error.retry }
}
