// VaultPKISecret: a certificate issued by a PKI role, written to a Secret (as kubernetes.io/tls when asked) and
// issued again at `expiration − expiryOffset`; the old one revoked when `revoke` is set.
import type { VaultPKISecret } from './api.ts'
import { parseDuration } from './duration.ts'
import { secretMac } from './hmac.ts'
import { timedVault } from './metrics.ts'
import { buildData, spendMint, inspectDestination, reconcileSecret, restartTargets, writeSecret, writeStatus, type SyncControl, type SyncOutcome, type SyncServices } from './reconciler.ts'
import { failure } from './failure.ts'
import { FieldError } from './refs.ts'
import { healthConditions, type ConditionUpdate } from './status.ts'
import { trimSlashes as trim } from '../vault/paths.ts'

interface IssuedCertificate {
  certificate: string
  issuing_ca: string
  ca_chain?: string[] | null
  private_key: string
  private_key_type: string
  serial_number: string
  expiration: number
}

export function validatePkiSecret(resource: VaultPKISecret): void {
  const { spec } = resource
  if (!spec.mount) throw new FieldError('spec.mount', 'is required.')
  if (!spec.role) throw new FieldError('spec.role', 'is required.')
  if (spec.expiryOffset) parseDuration(spec.expiryOffset, 'spec.expiryOffset')
  if (spec.ttl) parseDuration(spec.ttl, 'spec.ttl', true)
  if (spec.clear && spec.destination?.create) throw new FieldError('spec.clear', 'applies only when destination.create is false.')
  if (!spec.destination?.name) throw new FieldError('spec.destination.name', 'is required.')
}

/** The request VSO sends: comma-joined lists, and no root in the chain. */
export function issueRequest(spec: VaultPKISecret['spec']): Record<string, unknown> {
  const join = (list?: string[]) => (list && list.length > 0 ? list.join(',') : undefined)
  const body: Record<string, unknown> = {
    common_name: spec.commonName,
    alt_names: join(spec.altNames),
    ip_sans: join(spec.ipSans),
    uri_sans: join(spec.uriSans),
    other_sans: join(spec.otherSans),
    user_ids: join(spec.userIDs),
    ttl: spec.ttl,
    format: spec.format,
    private_key_format: spec.privateKeyFormat,
    not_after: spec.notAfter,
    exclude_cn_from_sans: spec.excludeCNFromSans,
    remove_roots_from_chain: true,
  }
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined))
}

/** `kubernetes.io/tls` without templates also gets tls.crt, tls.key (and ca.crt when there is no chain). */
function pkiSource(resource: VaultPKISecret, issued: IssuedCertificate): Record<string, unknown> {
  const chain = (issued.ca_chain ?? []).join('\n')
  const source: Record<string, unknown> = { ...issued, ca_chain: chain }
  const templated = Object.keys(resource.spec.destination.transformation?.templates ?? {}).length > 0
  if (resource.spec.destination.type === 'kubernetes.io/tls' && !templated) {
    source['tls.key'] = issued.private_key
    source['tls.crt'] = `${issued.certificate}\n${chain || issued.issuing_ca}`
    if (!chain) source['ca.crt'] = issued.issuing_ca
  }
  return source
}

export function reconcilePkiSecret(resource: VaultPKISecret, control: SyncControl, services: SyncServices): Promise<SyncOutcome> {
  return reconcileSecret(resource, services, { validate: validatePkiSecret, invalidReason: 'K8sClientError', failureReason: 'K8sClientError' }, async (access) => {
    const { spec } = resource
    const status = resource.status
    const { existing, drift } = await inspectDestination(resource, services)
    const now = services.clock.now()
    const offsetMs = spec.expiryOffset ? parseDuration(spec.expiryOffset, 'spec.expiryOffset') : 0
    const renewAt = status?.expiration ? status.expiration * 1000 - offsetMs : 0
    const firstSync = !status?.lastRotation
    const due = firstSync || control.force || !existing || drift || status.lastGeneration !== resource.metadata.generation || now >= renewAt
    if (!due || (control.once && existing && !firstSync)) {
      const horizon = jitter(renewAt - now, services)
      await writeStatus(resource, { ...status!, valid: true, error: '' }, [{ type: 'SecretSynced', ok: true, reason: 'Synced', message: `Secret synced, horizon=${Math.round(horizon / 1000)}s` }, ...healthConditions(resource.kind, true)], services)
      return { ok: true, wrote: false, drift: false, message: 'unchanged', requeueAfterMs: control.once ? undefined : horizon, route: access.route }
    }

    // a certificate due by its expiry, or for an edited spec, is wanted; any other new one counts against the budget
    if (firstSync || !existing || drift) spendMint(resource, existing, control, services)
    const token = await access.token().catch((error: unknown) => Promise.reject(failure('VaultClientError', error)))
    const path = spec.issuerRef ? `${trim(spec.mount)}/issuer/${spec.issuerRef}/issue/${spec.role}` : `${trim(spec.mount)}/issue/${spec.role}`
    const headers = spec.namespace ? { 'X-Vault-Namespace': spec.namespace } : undefined
    const { data: issued } = await timedVault(services.metrics, 'write', access.connection, () => access.client.request<{ data: IssuedCertificate }>({ method: 'PUT', path, token, body: issueRequest(spec), headers })).catch((error: unknown) =>
      Promise.reject(failure('K8sClientError', error)),
    )
    const source = pkiSource(resource, issued)
    const data = buildData(resource, { secrets: source, metadata: {}, raw: issued }, services)
    const mac = secretMac(await services.hmacKey(), data)
    await writeSecret(resource, existing, data, mac, services)
    const updates: ConditionUpdate[] = firstSync ? [] : await restartTargets(resource, services)
    if (spec.revoke && status?.serialNumber) {
      await access.client.request({ method: 'POST', path: `${trim(spec.mount)}/revoke`, token, body: { serial_number: status.serialNumber } }).catch((error: unknown) =>
        services.status.event(resource, 'Warning', 'K8sClientError', `Could not revoke the previous certificate ${status.serialNumber}: ${(error as Error).message}`),
      )
    }
    const horizon = jitter(issued.expiration * 1000 - offsetMs - now, services)
    const message = `Secret synced, horizon=${Math.round(horizon / 1000)}s`
    updates.push({ type: 'SecretSynced', ok: true, reason: 'Synced', message }, ...healthConditions(resource.kind, true))
    await writeStatus(resource, { serialNumber: issued.serial_number, expiration: issued.expiration, lastGeneration: resource.metadata.generation, lastRotation: Math.floor(now / 1000), secretMAC: mac, valid: true, error: '' }, updates, services)
    await services.status.event(resource, 'Normal', firstSync ? 'SecretSynced' : 'SecretRotated', `${message}, serial_number="${issued.serial_number}"`)
    return { ok: true, wrote: true, drift, message: firstSync ? 'synced' : drift ? 'repaired drift' : 'rotated', requeueAfterMs: horizon, route: access.route }
  })
}

/** ±5 % so certificates issued together are not renewed together; at least 1 s. */
function jitter(ms: number, services: SyncServices): number {
  return Math.max(1_000, Math.round(ms * (0.95 + 0.1 * services.clock.random())))
}
