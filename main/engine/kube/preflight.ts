// Before syncing, ask the apiserver (SelfSubjectAccessReview) whether this kube-context may do what the sync engine
// does: the verbs of VSO's manager ClusterRole. A missing permission switches off the feature that needs it,
// named in kubectl's terms, instead of failing later in the middle of a reconcile.
import { AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node'

/** What the sync engine cannot do without a permission; a closed list so the engine can switch each off. */
export type PreflightFeature =
  | 'write-secrets'
  | 'drift-repair'
  | 'secret-cleanup'
  | 'kubernetes-auth'
  | 'events'
  | 'rollout-restart'
  | 'argo-rollout-restart'
  | 'read-resources'
  | 'finalizers'
  | 'status'

export const FEATURE_LABELS: Record<PreflightFeature, string> = {
  'write-secrets': 'writing destination Secrets',
  'drift-repair': 'drift repair (noticing a destination Secret was changed or deleted)',
  'secret-cleanup': 'deleting the destination Secrets it owns',
  'kubernetes-auth': 'Vault kubernetes and jwt auth with a ServiceAccount token',
  events: 'Kubernetes Events on synced resources (kubectl describe)',
  'rollout-restart': 'rollout restart of Deployments, StatefulSets and DaemonSets',
  'argo-rollout-restart': 'rollout restart of Argo Rollouts',
  'read-resources': 'reading the secrets.hashicorp.com resources to sync',
  finalizers: 'finalizers (clean-up when a resource is deleted)',
  status: 'status and conditions on the resources',
}

export interface Permission {
  /** "" for the core group. */
  group: string
  resource: string
  subresource?: string
  verb: string
}

export interface PermissionCheck extends Permission {
  /** Undefined: cluster-wide (all namespaces). */
  namespace?: string
  allowed: boolean
  /** The authorizer's words, when it gave any (RBAC names the binding that allowed it). */
  reason?: string
}

export interface PreflightReport {
  context: string
  namespace?: string
  checks: PermissionCheck[]
  missing: PermissionCheck[]
  /** One line per resource that lacks verbs, e.g. `cannot patch deployments.apps in namespace "app"`. */
  problems: string[]
  /** Each feature that must be switched off, with the lines of `problems` that cause it. */
  disabled: { feature: PreflightFeature; label: string; because: string[] }[]
  /** For the log and the UI: all allowed, or what is missing and what it disables. */
  summary: string
}

interface Requirement extends Permission {
  feature: PreflightFeature
}

const VSO_KINDS = ['vaultconnections', 'vaultauths', 'vaultauthglobals', 'vaultstaticsecrets', 'vaultdynamicsecrets', 'vaultpkisecrets', 'secrettransformations']

const need = (group: string, resources: string[], verbs: string[], feature: PreflightFeature, subresource?: string): Requirement[] =>
  resources.flatMap((resource) => verbs.map((verb) => ({ group, resource, verb, feature, ...(subresource ? { subresource } : {}) })))

/** VSO's manager ClusterRole (reference/vso-api.md §7), each verb tied to the engine feature that uses it. */
export const REQUIRED_PERMISSIONS: readonly Requirement[] = [
  ...need('', ['secrets'], ['get', 'create', 'update', 'patch'], 'write-secrets'),
  ...need('', ['secrets'], ['list', 'watch'], 'drift-repair'),
  ...need('', ['secrets'], ['delete'], 'secret-cleanup'),
  ...need('', ['serviceaccounts'], ['get', 'list', 'watch'], 'kubernetes-auth'),
  ...need('', ['serviceaccounts'], ['create'], 'kubernetes-auth', 'token'),
  ...need('', ['events'], ['create', 'patch'], 'events'),
  ...need('apps', ['deployments', 'statefulsets', 'daemonsets'], ['get', 'list', 'patch', 'watch'], 'rollout-restart'),
  ...need('argoproj.io', ['rollouts'], ['get', 'list', 'patch'], 'argo-rollout-restart'),
  ...need('secrets.hashicorp.com', VSO_KINDS, ['get', 'list', 'watch'], 'read-resources'),
  ...need('secrets.hashicorp.com', VSO_KINDS, ['patch', 'update'], 'finalizers'),
  ...need('secrets.hashicorp.com', VSO_KINDS, ['get', 'patch', 'update'], 'status', 'status'),
]

export interface PreflightOptions {
  /** Undefined: may it do this in every namespace (what a cluster-wide sync needs). */
  namespace?: string
  /** Reviews in flight at once; each is one small POST. */
  concurrency?: number
}

/** Throws only when the apiserver cannot be asked at all; a denied permission is a result, not an error. */
export async function preflight(config: KubeConfig, options: PreflightOptions = {}): Promise<PreflightReport> {
  const { namespace } = options
  const context = config.getCurrentContext()
  const api = config.makeApiClient(AuthorizationV1Api)
  const checks = await mapConcurrently(REQUIRED_PERMISSIONS, options.concurrency ?? 16, async ({ group, resource, subresource, verb }): Promise<PermissionCheck> => {
    try {
      const review = await api.createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { group, resource, subresource, verb, namespace: namespace ?? '' } } },
      })
      const reason = review.status?.reason || review.status?.evaluationError || undefined
      return { group, resource, ...(subresource ? { subresource } : {}), verb, ...(namespace ? { namespace } : {}), allowed: review.status?.allowed === true, ...(reason ? { reason } : {}) }
    } catch (error) {
      const code = (error as { code?: number }).code
      const server = config.getCurrentCluster()?.server ?? 'no server'
      const what = `kube-context "${context}" (${server}) could not be asked what it may do (SelfSubjectAccessReview)`
      if (code === 401) throw new Error(`${what}: it rejected the credentials (401). Log in again or fix the user of this context.`, { cause: error })
      if (code) throw new Error(`${what}: the apiserver answered HTTP ${code}.`, { cause: error })
      throw new Error(`${what}: ${(error as Error).message}. Is the cluster running?`, { cause: error })
    }
  })
  return summarizeChecks(context, namespace, checks)
}

/** Pure: the report for these answers (exported for tests and for a report rebuilt from stored checks). */
export function summarizeChecks(context: string, namespace: string | undefined, checks: PermissionCheck[]): PreflightReport {
  const missing = checks.filter((check) => !check.allowed)
  const scope = namespace ? `in namespace "${namespace}"` : 'cluster-wide'
  // one line per resource: "cannot get, list or watch vaultauths.secrets.hashicorp.com in namespace "app""
  const byResource = new Map<string, PermissionCheck[]>()
  for (const check of missing) {
    const name = kubectlResource(check)
    byResource.set(name, [...(byResource.get(name) ?? []), check])
  }
  const lineOf = new Map<string, string>()
  for (const [name, list] of byResource) lineOf.set(name, `cannot ${orList(list.map((check) => check.verb))} ${name} ${scope}`)
  const problems = [...lineOf.values()]

  const disabled: PreflightReport['disabled'] = []
  for (const requirement of REQUIRED_PERMISSIONS) {
    const check = missing.find((entry) => samePermission(entry, requirement))
    if (!check) continue
    let entry = disabled.find((item) => item.feature === requirement.feature)
    if (!entry) disabled.push((entry = { feature: requirement.feature, label: FEATURE_LABELS[requirement.feature], because: [] }))
    const line = lineOf.get(kubectlResource(check))!
    if (!entry.because.includes(line)) entry.because.push(line)
  }

  const summary =
    missing.length === 0
      ? `kube-context "${context}" has every permission the sync engine needs ${scope}.`
      : `kube-context "${context}" lacks ${missing.length} of ${checks.length} permissions the sync engine needs ${scope}: ${problems.join('; ')}. ` +
        `Switched off: ${disabled.map((entry) => entry.label).join('; ')}. Grant the missing verbs (VSO's manager ClusterRole lists them all) to enable these.`
  return { context, ...(namespace ? { namespace } : {}), checks, missing, problems, disabled, summary }
}

/** kubectl's spelling: `deployments.apps`, `serviceaccounts/token`, `vaultauths.secrets.hashicorp.com/status`. */
export function kubectlResource(permission: Permission): string {
  const name = permission.group ? `${permission.resource}.${permission.group}` : permission.resource
  return permission.subresource ? `${name}/${permission.subresource}` : name
}

const samePermission = (a: Permission, b: Permission) =>
  a.group === b.group && a.resource === b.resource && (a.subresource ?? '') === (b.subresource ?? '') && a.verb === b.verb

function orList(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`
}

async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
