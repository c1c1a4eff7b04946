// The resources that configure syncing rather than sync anything: VaultConnection (can Vault be reached?),
// VaultAuth (is it complete and does its connection exist?) and SecretTransformation (do its templates parse?).
// Each gets VSO's status and one event when its verdict changes.
import { createHash } from 'node:crypto'
import type { Condition, SecretTransformation, VaultAuth, VaultConnection } from './api.ts'
import { FieldError, parseRef, refKey } from './refs.ts'
import type { SyncServices } from './reconciler.ts'
import { healthConditions, mergeConditions, type ConditionUpdate, type EventReason } from './status.ts'
import { validateSecretTransformation } from './transformation.ts'

export interface Verdict {
  valid: boolean
  message: string
  requeueAfterMs?: number
}

async function record(resource: VaultConnection | VaultAuth | SecretTransformation, status: Record<string, unknown>, updates: ConditionUpdate[], event: { reason: EventReason; message: string; ok: boolean }, services: SyncServices): Promise<void> {
  const previous = resource.status as { valid?: boolean; conditions?: Condition[] } | undefined
  const conditions = mergeConditions(previous?.conditions, updates, resource.metadata.generation, services.status.now())
  await services.status.writeStatus(resource, { ...status, conditions } as never)
  // one event per verdict, not one per reconcile
  if (previous?.valid !== event.ok) await services.status.event(resource, event.ok ? 'Normal' : 'Warning', event.reason, event.message)
}

export async function reconcileConnection(resource: VaultConnection, services: SyncServices): Promise<Verdict> {
  const kind = resource.kind
  try {
    const { spec } = resource
    if (!spec.address) throw new FieldError('spec.address', 'is required.')
    try {
      new URL(spec.address)
    } catch {
      throw new FieldError('spec.address', `"${spec.address}" is not a URL: write it as http(s)://host:port.`)
    }
    if (spec.caCertSecretRef && spec.caCertPath) throw new FieldError('spec.caCertSecretRef', 'and spec.caCertPath exclude each other: set one.')
  } catch (error) {
    const message = (error as Error).message
    await record(resource, { valid: false }, [{ type: 'ResourceValidation', ok: false, reason: 'InvalidConfiguration', message }, ...healthConditions(kind, false, message)], { reason: 'InvalidConfiguration', message, ok: false }, services)
    return { valid: false, message }
  }
  try {
    const { sealed, route } = await services.vault.checkConnection(resource)
    const message = sealed ? `Vault at ${resource.spec.address} is sealed: unseal it.` : `VaultConnection accepted (${route})`
    await record(resource, { valid: !sealed }, [{ type: 'ResourceValidation', ok: true, reason: 'Accepted', message: 'VaultConnection accepted' }, { type: 'VaultPing', ok: !sealed, reason: 'Accepted', message }, ...healthConditions(kind, !sealed, sealed ? message : undefined)], { reason: sealed ? 'VaultClientError' : 'Accepted', message, ok: !sealed }, services)
    return { valid: !sealed, message, requeueAfterMs: sealed ? 5_000 : undefined }
  } catch (error) {
    const message = (error as Error).message
    await record(resource, { valid: false }, [{ type: 'VaultClient', ok: false, reason: 'VaultClientConfigError', message }, ...healthConditions(kind, false, message)], { reason: 'VaultClientError', message, ok: false }, services)
    return { valid: false, message, requeueAfterMs: 5_000 }
  }
}

const METHODS = ['kubernetes', 'jwt', 'appRole', 'aws', 'gcp']

export function validateAuth(resource: VaultAuth, services: Pick<SyncServices, 'lookup' | 'operatorNamespace'>): void {
  const { spec, metadata } = resource
  const method = spec.method ?? 'kubernetes'
  if (!METHODS.includes(method)) throw new FieldError('spec.method', `"${method}" is not an auth method: use one of ${METHODS.join(', ')}.`)
  if (method === 'kubernetes' && (!spec.kubernetes?.role || !spec.kubernetes.serviceAccount)) throw new FieldError('spec.kubernetes', 'method kubernetes needs kubernetes.role and kubernetes.serviceAccount.')
  if (method === 'jwt' && !spec.jwt?.role) throw new FieldError('spec.jwt.role', 'method jwt needs a role.')
  if (method === 'appRole' && (!spec.appRole?.roleId || !spec.appRole.secretRef)) throw new FieldError('spec.appRole', 'method appRole needs appRole.roleId and appRole.secretRef.')
  if (metadata.namespace === services.operatorNamespace && !spec.vaultConnectionRef) throw new FieldError('spec.vaultConnectionRef', `a VaultAuth in the operator namespace (${services.operatorNamespace}) must name its VaultConnection.`)
  const ref = parseRef(spec.vaultConnectionRef, 'spec.vaultConnectionRef', metadata.namespace, services.operatorNamespace)
  if (!services.lookup.connection(ref.namespace, ref.name)) throw new FieldError('spec.vaultConnectionRef', `VaultConnection ${refKey(ref)} does not exist.`)
}

export async function reconcileAuth(resource: VaultAuth, services: SyncServices): Promise<Verdict> {
  const specHash = createHash('sha256').update(JSON.stringify(resource.spec)).digest('hex')
  try {
    validateAuth(resource, services)
    const message = 'VaultAuth accepted'
    await record(resource, { valid: true, error: '', specHash }, healthConditions(resource.kind, true), { reason: 'Accepted', message, ok: true }, services)
    return { valid: true, message }
  } catch (error) {
    const message = (error as Error).message
    const reason: EventReason = error instanceof FieldError && error.field === 'spec.vaultConnectionRef' ? 'InvalidResourceRef' : 'Accepted'
    await record(resource, { valid: false, error: message, specHash }, healthConditions(resource.kind, false, message), { reason, message, ok: false }, services)
    // the connection may be created later
    return { valid: false, message, requeueAfterMs: reason === 'InvalidResourceRef' ? 5_000 : undefined }
  }
}

export async function reconcileTransformation(resource: SecretTransformation, services: SyncServices): Promise<Verdict> {
  const errors = validateSecretTransformation(resource.spec, resource.metadata)
  const valid = errors.length === 0
  const message = valid ? 'SecretTransformation accepted' : errors.map((error) => error.message).join('; ')
  await record(resource, { valid, error: valid ? '' : message }, healthConditions('SecretsTransformation', valid, valid ? undefined : message), { reason: valid ? 'Accepted' : 'InvalidConfiguration', message, ok: valid }, services)
  return { valid, message }
}
