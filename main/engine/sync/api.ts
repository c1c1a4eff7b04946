// The custom resources of the Vault Secrets Operator (secrets.hashicorp.com/v1beta1), typed as VSO defines them, so
// manifests written for VSO work unchanged. Field names, defaults and status shapes follow VSO 1.6.
export const GROUP = 'secrets.hashicorp.com'
export const VERSION = 'v1beta1'
export const API_VERSION = `${GROUP}/${VERSION}`

export interface ObjectMeta {
  name: string
  namespace: string
  uid: string
  generation: number
  resourceVersion: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  deletionTimestamp?: string
  finalizers?: string[]
  creationTimestamp?: string
}

export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason: string
  message: string
  lastTransitionTime: string
  observedGeneration?: number
}

interface Resource<Kind extends string, Spec, Status> {
  apiVersion: typeof API_VERSION
  kind: Kind
  metadata: ObjectMeta
  spec: Spec
  status?: Status
}

export interface VaultConnectionSpec {
  address: string
  headers?: Record<string, string>
  tlsServerName?: string
  caCertSecretRef?: string
  caCertPath?: string
  skipTLSVerify?: boolean
  timeout?: string
}
export interface VaultConnectionStatus {
  valid?: boolean
  conditions?: Condition[]
}

export interface VaultAuthSpec {
  vaultConnectionRef?: string
  namespace?: string
  allowedNamespaces?: string[]
  method?: 'kubernetes' | 'jwt' | 'appRole' | 'aws' | 'gcp'
  mount?: string
  params?: Record<string, string>
  headers?: Record<string, string>
  kubernetes?: { role: string; serviceAccount: string; audiences?: string[]; tokenExpirationSeconds?: number }
  jwt?: { role: string; secretRef?: string; serviceAccount?: string; audiences?: string[]; tokenExpirationSeconds?: number }
  appRole?: { roleId: string; secretRef: string }
  aws?: Record<string, unknown>
  gcp?: Record<string, unknown>
  vaultAuthGlobalRef?: { name?: string; namespace?: string; allowDefault?: boolean; mergeStrategy?: { headers?: string; params?: string } }
  storageEncryption?: { mount: string; keyName: string }
}
export interface VaultAuthStatus {
  valid?: boolean
  error?: string
  specHash?: string
  conditions?: Condition[]
}

/** destination.transformation and SecretTransformation's spec, field names exactly as VSO's v1beta1 API. */
export interface Template {
  name?: string
  text: string
}
export interface TemplateRef {
  name: string
  keyOverride?: string
}
export interface TransformationRef {
  namespace?: string
  name: string
  templateRefs?: TemplateRef[]
  ignoreIncludes?: boolean
  ignoreExcludes?: boolean
}
export interface Transformation {
  templates?: Record<string, Template>
  transformationRefs?: TransformationRef[]
  includes?: string[]
  excludes?: string[]
  excludeRaw?: boolean
}
export interface SecretTransformationSpec {
  templates?: Record<string, Template>
  sourceTemplates?: { name: string; text: string }[]
  includes?: string[]
  excludes?: string[]
}
export interface RolloutRestartTarget {
  kind: 'Deployment' | 'DaemonSet' | 'StatefulSet' | 'argo.Rollout'
  name: string
}

export interface Destination {
  name: string
  create?: boolean
  overwrite?: boolean
  labels?: Record<string, string>
  annotations?: Record<string, string>
  type?: string
  transformation?: Transformation
}

export interface VaultClientMeta {
  cacheKey?: string
  id?: string
}

/** What every secret-syncing kind has in common. */
export interface SyncableSpec {
  vaultAuthRef?: string
  namespace?: string
  mount: string
  rolloutRestartTargets?: RolloutRestartTarget[]
  destination: Destination
}

export interface VaultStaticSecretSpec extends SyncableSpec {
  path: string
  version?: number
  type: 'kv-v1' | 'kv-v2'
  refreshAfter?: string
  hmacSecretData?: boolean
  syncConfig?: { instantUpdates?: boolean }
}
export interface VaultStaticSecretStatus {
  lastGeneration: number
  secretMAC?: string
  vaultClientMeta?: VaultClientMeta
  conditions?: Condition[]
}

export interface SecretLease {
  id: string
  duration: number
  renewable: boolean
  requestID: string
}

export interface VaultDynamicSecretSpec extends SyncableSpec {
  path: string
  requestHTTPMethod?: 'GET' | 'POST' | 'PUT'
  params?: Record<string, string>
  renewalPercent?: number
  revoke?: boolean
  allowStaticCreds?: boolean
  refreshAfter?: string
  syncConfig?: { instantUpdates?: boolean }
}
export interface VaultDynamicSecretStatus {
  lastRenewalTime: number
  lastGeneration: number
  secretLease: SecretLease
  staticCredsMetaData?: { lastVaultRotation: number; rotationPeriod: number; rotationSchedule: string; ttl: number }
  lastRuntimePodUID?: string
  secretMAC?: string
  vaultClientMeta?: VaultClientMeta
  conditions?: Condition[]
}

export interface VaultPKISecretSpec extends SyncableSpec {
  role: string
  revoke?: boolean
  clear?: boolean
  expiryOffset?: string
  issuerRef?: string
  commonName?: string
  altNames?: string[]
  ipSans?: string[]
  uriSans?: string[]
  otherSans?: string[]
  userIDs?: string[]
  ttl?: string
  format?: 'pem' | 'der' | 'pem_bundle'
  privateKeyFormat?: string
  notAfter?: string
  excludeCNFromSans?: boolean
}
export interface VaultPKISecretStatus {
  serialNumber?: string
  expiration?: number
  lastGeneration: number
  lastRotation: number
  secretMAC?: string
  valid: boolean
  error: string
  conditions?: Condition[]
}

export type VaultConnection = Resource<'VaultConnection', VaultConnectionSpec, VaultConnectionStatus>
export type VaultAuth = Resource<'VaultAuth', VaultAuthSpec, VaultAuthStatus>
export type VaultStaticSecret = Resource<'VaultStaticSecret', VaultStaticSecretSpec, VaultStaticSecretStatus>
export type VaultDynamicSecret = Resource<'VaultDynamicSecret', VaultDynamicSecretSpec, VaultDynamicSecretStatus>
export type VaultPKISecret = Resource<'VaultPKISecret', VaultPKISecretSpec, VaultPKISecretStatus>
export type SecretTransformation = Resource<'SecretTransformation', SecretTransformationSpec, { valid: boolean; error: string; conditions?: Condition[] }>

export type SecretResource = VaultStaticSecret | VaultDynamicSecret | VaultPKISecret
export type AnyResource = VaultConnection | VaultAuth | SecretResource | SecretTransformation
export type Kind = AnyResource['kind']

/** The plural resource name of each kind, as the apiserver serves it. */
export const PLURALS: Record<Kind, string> = {
  VaultConnection: 'vaultconnections',
  VaultAuth: 'vaultauths',
  VaultStaticSecret: 'vaultstaticsecrets',
  VaultDynamicSecret: 'vaultdynamicsecrets',
  VaultPKISecret: 'vaultpkisecrets',
  SecretTransformation: 'secrettransformations',
}

export const SECRET_KINDS = ['VaultStaticSecret', 'VaultDynamicSecret', 'VaultPKISecret'] as const satisfies readonly SecretResource['kind'][]

/** Defaults VSO's CRDs apply; applied again here so an object written without the CRD defaults reads the same. */
export const DEFAULTS = {
  renewalPercent: 67,
  maxRenewalPercent: 90,
  tokenExpirationSeconds: 600,
  hmacSecretData: true,
} as const
