// Destination Secrets, written as VSO writes them: owner labels and one ownerReference when `create` is set,
// only `.data` replaced when it is not, an ownership check before any overwrite, a type change by re-creation,
// and orphans of a renamed destination pruned.
import { isNotFound, KubeError, type KubeApi } from '../kube/api.ts'
import { API_VERSION, type SecretResource } from './api.ts'
import type { SecretData } from './hmac.ts'

export const OWNER_LABELS = {
  'app.kubernetes.io/managed-by': 'hashicorp-vso',
  'app.kubernetes.io/name': 'vault-secrets-operator',
  'app.kubernetes.io/component': 'secret-sync',
} as const
export const OWNER_UID_LABEL = 'secrets.hashicorp.com/vso-ownerRefUID'

export interface KubeSecret {
  apiVersion?: 'v1'
  kind?: 'Secret'
  metadata: {
    name: string
    namespace: string
    uid?: string
    resourceVersion?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[]
  }
  type?: string
  data?: Record<string, string>
}

/** Why a destination cannot be written; the message says which Secret, why, and what to do. */
export class DestinationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DestinationError'
  }
}

export const secretPath = (namespace: string, name: string) => `/api/v1/namespaces/${namespace}/secrets/${name}`

export async function readDestination(kube: KubeApi, owner: SecretResource): Promise<KubeSecret | undefined> {
  try {
    return await kube.get<KubeSecret>(secretPath(owner.metadata.namespace, owner.spec.destination.name))
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
}

function ownerReference(owner: SecretResource) {
  return { apiVersion: API_VERSION, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid }
}

function hasOwnerLabels(secret: KubeSecret): boolean {
  const labels = secret.metadata.labels ?? {}
  return Object.entries(OWNER_LABELS).every(([key, value]) => labels[key] === value)
}

/** Carries our owner labels and exactly one ownerReference to this resource. */
export function isOwnedBy(secret: KubeSecret, owner: SecretResource): boolean {
  const refs = secret.metadata.ownerReferences ?? []
  const want = ownerReference(owner)
  return hasOwnerLabels(secret) && refs.length === 1 && refs[0]!.apiVersion === want.apiVersion && refs[0]!.kind === want.kind && refs[0]!.name === want.name && refs[0]!.uid === want.uid
}

const encode = (data: SecretData) => Object.fromEntries(Object.entries(data).map(([key, value]) => [key, value.toString('base64')]))

/**
 * Writes the data to the destination. `existing` is the Secret as read at the start of this reconcile, so the
 * write is a conditional update: a concurrent change fails with a conflict and the resource is reconciled again.
 */
export async function writeDestination(kube: KubeApi, owner: SecretResource, existing: KubeSecret | undefined, data: SecretData): Promise<void> {
  const destination = owner.spec.destination
  const { namespace } = owner.metadata
  const where = `Secret ${namespace}/${destination.name}`

  if (!destination.create) {
    if (!existing) throw new DestinationError(`${where} does not exist and destination.create is false: create the Secret, or set destination.create to true.`)
    // only .data is replaced; keys no longer present are removed
    const patch: Record<string, string | null> = encode(data)
    for (const key of Object.keys(existing.data ?? {})) if (!(key in data)) patch[key] = null
    await kube.patch(secretPath(namespace, destination.name), { metadata: { resourceVersion: existing.metadata.resourceVersion }, data: patch })
    return
  }

  const type = destination.type || 'Opaque'
  if (existing && !isOwnedBy(existing, owner)) {
    if (hasOwnerLabels(existing)) throw new DestinationError(`${where} belongs to another Vault Secrets Operator resource (its ownerReferences name another owner): choose another destination.name.`)
    if (!destination.overwrite) throw new DestinationError(`${where} exists and was not created by this ${owner.kind}: set destination.overwrite to true to take it over, or choose another destination.name.`)
  }
  const body: KubeSecret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: destination.name,
      namespace,
      labels: { ...destination.labels, ...OWNER_LABELS, [OWNER_UID_LABEL]: owner.metadata.uid },
      annotations: destination.annotations ?? {},
      ownerReferences: [ownerReference(owner)],
    },
    type,
    data: encode(data),
  }
  if (existing && (existing.type ?? 'Opaque') !== type) {
    // the type of a Secret cannot change: re-create it
    await kube.delete(secretPath(namespace, destination.name))
    existing = undefined
  }
  if (existing) {
    body.metadata.resourceVersion = existing.metadata.resourceVersion
    await kube.request({ method: 'PUT', path: secretPath(namespace, destination.name), body })
  } else {
    await kube.create(`/api/v1/namespaces/${namespace}/secrets`, body)
  }
}

/** Other Secrets this resource owns under another name (its destination was renamed): deletes them. */
export async function pruneOrphans(kube: KubeApi, owner: SecretResource, owned: KubeSecret[]): Promise<string[]> {
  const pruned: string[] = []
  for (const secret of owned) {
    if (secret.metadata.name === owner.spec.destination.name || !isOwnedBy(secret, owner)) continue
    try {
      await kube.delete(secretPath(secret.metadata.namespace, secret.metadata.name))
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 404)) throw error
    }
    pruned.push(secret.metadata.name)
  }
  return pruned
}
