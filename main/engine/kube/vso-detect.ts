// Whether the Vault Secrets Operator runs in a cluster: then the sync engine must observe, not fight it over the
// same Secrets. Evidence is read as a person would: VSO's leader-election Lease, and its controller Deployment.
import { ApiextensionsV1Api, AppsV1Api, CoordinationV1Api, type KubeConfig, type V1Deployment, type V1Lease } from '@kubernetes/client-node'

/** controller-runtime's leader-election ID in VSO's main.go; the Lease lives in the operator's namespace. */
export const VSO_LEADER_LEASE = 'b0d477c0.hashicorp.com'
/** Vault Tray takes the same Lease (sync/writer-lease.ts) with holder identities that start with this. */
export const VAULT_TRAY_HOLDER_PREFIX = 'vault-tray '
const VSO_DEPLOYMENT = 'vault-secrets-operator-controller-manager'

export const VSO_CRDS = [
  'vaultconnections.secrets.hashicorp.com',
  'vaultauths.secrets.hashicorp.com',
  'vaultauthglobals.secrets.hashicorp.com',
  'vaultstaticsecrets.secrets.hashicorp.com',
  'vaultdynamicsecrets.secrets.hashicorp.com',
  'vaultpkisecrets.secrets.hashicorp.com',
  'secrettransformations.secrets.hashicorp.com',
] as const

export interface OperatorDetection {
  /** 'unknown' when it could not be told (not allowed to look, or installed but not ready): observe only, the safe side. */
  running: boolean | 'unknown'
  /** The operator's namespace, when something points at one. */
  namespace?: string
  /** Plain sentences, for the UI and the log. */
  evidence: string[]
}

export interface DetectOptions {
  now?: () => number
  /** A Lease not renewed for this many lease durations belongs to an operator that is gone. */
  staleAfterDurations?: number
}

interface Finding {
  running: boolean | 'unknown'
  namespace?: string
  evidence: string
}

/** Never throws: a failure to look is an 'unknown' with the reason as evidence. */
export async function detectOperator(config: KubeConfig, options: DetectOptions = {}): Promise<OperatorDetection> {
  const context = config.getCurrentContext()
  const [leases, deployments] = await Promise.all([
    findLeases(config, options).catch((error: unknown) => [couldNotTell(context, 'leases.coordination.k8s.io', error)]),
    findDeployments(config).catch((error: unknown) => [couldNotTell(context, 'deployments.apps', error)]),
  ])
  const findings = [...leases, ...deployments]
  const running = findings.find((finding) => finding.running === true)
  const evidence = findings.map((finding) => finding.evidence)
  if (running) return { running: true, ...(running.namespace ? { namespace: running.namespace } : {}), evidence }
  const unsure = findings.find((finding) => finding.running === 'unknown')
  if (unsure) return { running: 'unknown', ...(unsure.namespace ? { namespace: unsure.namespace } : {}), evidence }
  if (evidence.length === 0) evidence.push(`No leader Lease ${VSO_LEADER_LEASE} and no ${VSO_DEPLOYMENT} Deployment in any namespace of kube-context "${context}".`)
  return { running: false, evidence }
}

async function findLeases(config: KubeConfig, options: DetectOptions): Promise<Finding[]> {
  const list = await config.makeApiClient(CoordinationV1Api).listLeaseForAllNamespaces({ fieldSelector: `metadata.name=${VSO_LEADER_LEASE}` })
  return list.items.filter((lease) => !isVaultTrayLease(lease)).map((lease) => leaseFinding(lease, options.now?.() ?? Date.now(), options.staleAfterDurations ?? 3))
}

/** A Lease a Vault Tray holds, or created and let go, says nothing about VSO. */
export function isVaultTrayLease(lease: V1Lease): boolean {
  const holder = lease.spec?.holderIdentity
  if (holder) return holder.startsWith(VAULT_TRAY_HOLDER_PREFIX)
  return lease.metadata?.labels?.['app.kubernetes.io/managed-by'] === 'vault-tray'
}

export function leaseFinding(lease: V1Lease, now: number, staleAfterDurations: number): Finding {
  const namespace = lease.metadata?.namespace
  const name = `leader Lease ${namespace}/${lease.metadata?.name}`
  const holder = lease.spec?.holderIdentity
  // client-go empties the holder when a leader steps down cleanly
  if (!holder) return { running: false, namespace, evidence: `${name} has no holder: the operator that held it stepped down.` }
  const durationSeconds = lease.spec?.leaseDurationSeconds ?? 15
  const renewed = lease.spec?.renewTime ?? lease.spec?.acquireTime
  if (!renewed) return { running: false, namespace, evidence: `${name} held by ${holder} was never renewed: stale, not counted as a running operator.` }
  const ageMs = now - new Date(renewed).getTime()
  if (ageMs <= durationSeconds * staleAfterDurations * 1000) return { running: true, namespace, evidence: `${name} held by ${holder}, renewed ${ago(ageMs)}.` }
  return {
    running: false,
    namespace,
    evidence: `${name} held by ${holder} was last renewed ${ago(ageMs)}, more than ${staleAfterDurations} × its ${durationSeconds} s duration: stale, not counted as a running operator.`,
  }
}

async function findDeployments(config: KubeConfig): Promise<Finding[]> {
  const apps = config.makeApiClient(AppsV1Api)
  // two narrow lists instead of every Deployment of the cluster: Helm and kustomize installs carry the label,
  // and the usual name catches one whose labels were changed
  const [labelled, named] = await Promise.all([
    apps.listDeploymentForAllNamespaces({ labelSelector: 'control-plane=controller-manager' }),
    apps.listDeploymentForAllNamespaces({ fieldSelector: `metadata.name=${VSO_DEPLOYMENT}` }),
  ])
  const seen = new Map<string, V1Deployment>()
  for (const deployment of [...labelled.items, ...named.items]) seen.set(`${deployment.metadata?.namespace}/${deployment.metadata?.name}`, deployment)
  return [...seen.values()].filter(isOperatorDeployment).map(deploymentFinding)
}

/** Every kubebuilder operator has the label and a `manager` container, so the name or the image must say VSO. */
export function isOperatorDeployment(deployment: V1Deployment): boolean {
  if (deployment.metadata?.name?.endsWith(VSO_DEPLOYMENT)) return true
  const manager = deployment.spec?.template.spec?.containers.find((container) => container.name === 'manager')
  return Boolean(manager && [manager.image ?? '', ...(manager.command ?? [])].some((text) => text.includes('vault-secrets-operator')))
}

export function deploymentFinding(deployment: V1Deployment): Finding {
  const namespace = deployment.metadata?.namespace
  const name = `Deployment ${namespace}/${deployment.metadata?.name}`
  const wanted = deployment.spec?.replicas ?? 1
  const ready = deployment.status?.readyReplicas ?? 0
  if (ready > 0) return { running: true, namespace, evidence: `${name} (${ready}/${wanted} ready).` }
  if (wanted === 0) return { running: false, namespace, evidence: `${name} is scaled to 0.` }
  return { running: 'unknown', namespace, evidence: `${name} (0/${wanted} ready): installed but not ready, and it may start at any time.` }
}

function couldNotTell(context: string, resource: string, error: unknown): Finding {
  const code = (error as { code?: number }).code
  const why =
    code === 403
      ? `kube-context "${context}" may not list ${resource} in all namespaces (403)`
      : code
        ? `listing ${resource} in kube-context "${context}" failed with HTTP ${code}`
        : `kube-context "${context}" could not be reached: ${(error as Error).message}`
  return { running: 'unknown', evidence: `Could not tell whether the Vault Secrets Operator runs: ${why}. Syncing stays off (observe only) until that is known.` }
}

function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000))
  if (seconds < 90) return `${seconds} s ago`
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`
  if (seconds < 48 * 3600) return `${Math.round(seconds / 3600)} h ago`
  return `${Math.round(seconds / 86_400)} days ago`
}

export interface CrdPresence {
  name: string
  installed: boolean
  /** The versions the apiserver serves, e.g. ["v1beta1"]. */
  servedVersions: string[]
  storageVersion?: string
  /** A CRD is usable once Established; just after it is created it may not be yet. */
  established: boolean
}

/** Which of these CRDs exist (VSO's by default). Throws when it may not look, since "absent" would be a guess. */
export async function crdsInstalled(config: KubeConfig, names: readonly string[] = VSO_CRDS): Promise<CrdPresence[]> {
  const api = config.makeApiClient(ApiextensionsV1Api)
  const context = config.getCurrentContext()
  return Promise.all(
    names.map(async (name): Promise<CrdPresence> => {
      try {
        const crd = await api.readCustomResourceDefinition({ name })
        const versions = crd.spec.versions
        const storage = versions.find((version) => version.storage)
        return {
          name,
          installed: true,
          servedVersions: versions.filter((version) => version.served).map((version) => version.name),
          ...(storage ? { storageVersion: storage.name } : {}),
          established: crd.status?.conditions?.some((condition) => condition.type === 'Established' && condition.status === 'True') ?? false,
        }
      } catch (error) {
        const code = (error as { code?: number }).code
        if (code === 404) return { name, installed: false, servedVersions: [], established: false }
        if (code === 403) throw new Error(`kube-context "${context}" may not read customresourcedefinitions.apiextensions.k8s.io (403), so whether ${name} is installed is unknown. Ask for "get" on customresourcedefinitions.`, { cause: error })
        throw new Error(`Could not read CRD ${name} in kube-context "${context}": ${code ? `HTTP ${code}` : (error as Error).message}.`, { cause: error })
      }
    }),
  )
}
