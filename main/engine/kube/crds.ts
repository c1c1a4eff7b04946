// VSO's custom resource definitions, bundled in resources/crds and installed or upgraded with server-side apply:
// a re-run changes nothing, and two installers at once (two test files, the tray and the CLI) converge instead of
// failing on "already exists" or a stale resourceVersion.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { ApiextensionsV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node'
import { load } from 'js-yaml'

/** The field manager of every apply, so the apiserver can tell Vault Tray's fields from anyone else's. */
export const FIELD_MANAGER = 'vault-tray'
const MANAGED_BY = 'app.kubernetes.io/managed-by'

/** A CRD manifest as written in resources/crds: the fields Vault Tray reads are typed, the schema is passed on untouched. */
export interface BundledCrd {
  apiVersion: 'apiextensions.k8s.io/v1'
  kind: 'CustomResourceDefinition'
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  spec: { group: string; scope: string; names: { kind: string; plural: string }; versions: { name: string; served: boolean; storage: boolean }[] }
  /** The file it was read from, for error messages; not sent to the apiserver. */
  file: string
}

/**
 * created: it was not there. upgraded: its spec or labels changed. unchanged: it was already as bundled.
 * kept: someone else installed it (VSO's Helm chart, kubectl), so it was left alone; see InstallCrdsOptions.takeOver.
 */
export type CrdAction = 'created' | 'upgraded' | 'unchanged' | 'kept'

export interface CrdInstallResult {
  name: string
  kind: string
  action: CrdAction
  /** For 'kept': who installed it and what to do to replace it. */
  detail?: string
}

export interface InstallCrdsOptions {
  /** Where the manifests are; default: resources/crds found above this module. */
  dir?: string
  /** How long all of them together may take to become Established. Default 30 s. */
  timeoutMs?: number
  /** Replace CRDs that another installer manages (e.g. an older VSO's). Default false: they are kept as they are. */
  takeOver?: boolean
}

const APPLY = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply)
const POLL_MS = 100

/** The bundled CRD manifests, one per file, in file-name order. */
export function readBundledCrds(dir: string = bundledCrdDir()): BundledCrd[] {
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
  if (files.length === 0) throw new Error(`No CRD manifests (*.yaml) in ${dir}. Reinstall Vault Tray, or point options.dir at VSO's CRDs.`)
  return files.map((file) => parseCrd(join(dir, file)))
}

function parseCrd(path: string): BundledCrd {
  let document: unknown
  try {
    document = load(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new Error(`${path} is not valid YAML: ${(error as Error).message}`, { cause: error })
  }
  const crd = document as Partial<BundledCrd> | null
  const { group, names } = crd?.spec ?? {}
  if (crd?.apiVersion !== 'apiextensions.k8s.io/v1' || crd.kind !== 'CustomResourceDefinition' || !group || !names?.plural || !names.kind) {
    throw new Error(`${path} is not an apiextensions.k8s.io/v1 CustomResourceDefinition with spec.group and spec.names. Restore it from Vault Tray's sources.`)
  }
  // the apiserver insists on this; checking here names the file instead of failing with a 422 later
  if (crd.metadata?.name !== `${names.plural}.${group}`) throw new Error(`${path}: metadata.name must be "${names.plural}.${group}", not "${crd.metadata?.name}".`)
  return { ...(crd as Omit<BundledCrd, 'file'>), file: path }
}

/** resources/crds above this module: two levels up from main/engine/kube in the repo, fewer once bundled into out/main. */
export function bundledCrdDir(): string {
  const start = dirname(fileURLToPath(import.meta.url))
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'resources', 'crds')
    if (existsSync(candidate)) return candidate
    if (dirname(dir) === dir) throw new Error(`VSO's CRD manifests (resources/crds) were not found in any folder above ${start}. Reinstall Vault Tray, or pass options.dir.`)
  }
}

/**
 * Installs or upgrades every bundled CRD and waits until each is Established, so custom resources can be created
 * as soon as it returns. Throws, naming the CRD, on the first that cannot be applied or does not become Established.
 */
export async function installCrds(config: KubeConfig, options: InstallCrdsOptions = {}): Promise<CrdInstallResult[]> {
  const api = config.makeApiClient(ApiextensionsV1Api)
  const context = config.getCurrentContext()
  const crds = readBundledCrds(options.dir)
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  return Promise.all(
    crds.map(async (crd) => {
      const result = await installOne(api, context, crd, options.takeOver ?? false)
      await waitEstablished(api, context, crd.metadata.name, deadline)
      return result
    }),
  )
}

async function installOne(api: ApiextensionsV1Api, context: string, crd: BundledCrd, takeOver: boolean): Promise<CrdInstallResult> {
  const { name } = crd.metadata
  const kind = crd.spec.names.kind
  const before = await read(api, context, name)
  const owners = before ? foreignManagers(before) : []
  if (owners.length > 0 && !takeOver) {
    return { name, kind, action: 'kept', detail: `installed by ${owners.join(', ')}, not Vault Tray; left as it is. Install again with takeOver to replace it with Vault Tray's (VSO 1.6 API).` }
  }
  const { file: _file, ...body } = crd
  let response: Awaited<ReturnType<ApiextensionsV1Api['patchCustomResourceDefinitionWithHttpInfo']>>
  try {
    // Strict: a field the apiserver does not know is an error in our manifest, not something to drop silently
    response = await api.patchCustomResourceDefinitionWithHttpInfo({ name, body, fieldManager: FIELD_MANAGER, force: true, fieldValidation: 'Strict' }, APPLY)
  } catch (error) {
    throw kubeError(error, context, `apply CRD ${name} (from ${crd.file})`, 'patch')
  }
  // 201 tells which of two concurrent installers created it; the other one's apply was a no-op
  if (response.httpStatusCode === 201) return { name, kind, action: 'created' }
  return { name, kind, action: changed(before, response.data) ? 'upgraded' : 'unchanged' }
}

/** Generation moves only on a spec change, so status updates by the apiserver are not mistaken for an upgrade. */
function changed(before: V1CustomResourceDefinition | undefined, after: V1CustomResourceDefinition): boolean {
  // absent before but not created by this apply: a concurrent installer created it, and this apply changed it only if the generation moved on
  if (!before) return (after.metadata?.generation ?? 1) > 1
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? {}) === JSON.stringify(b ?? {})
  return before.metadata?.generation !== after.metadata?.generation || !same(before.metadata?.labels, after.metadata?.labels) || !same(before.metadata?.annotations, after.metadata?.annotations)
}

/** Who else wrote this CRD's spec or metadata, when Vault Tray never did; empty when it is Vault Tray's. */
function foreignManagers(crd: V1CustomResourceDefinition): string[] {
  const entries = crd.metadata?.managedFields ?? []
  if (crd.metadata?.labels?.[MANAGED_BY] === FIELD_MANAGER || entries.some((entry) => entry.manager === FIELD_MANAGER)) return []
  // the apiserver's own status writes say nothing about who installed it
  const managers = entries.filter((entry) => entry.subresource !== 'status').map((entry) => entry.manager ?? 'an unnamed client')
  return managers.length > 0 ? [...new Set(managers)] : ['another installer']
}

async function read(api: ApiextensionsV1Api, context: string, name: string): Promise<V1CustomResourceDefinition | undefined> {
  try {
    return await api.readCustomResourceDefinition({ name })
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined
    throw kubeError(error, context, `read CRD ${name}`, 'get')
  }
}

async function waitEstablished(api: ApiextensionsV1Api, context: string, name: string, deadline: number): Promise<void> {
  for (;;) {
    const crd = await read(api, context, name)
    const conditions = crd?.status?.conditions ?? []
    if (conditions.some((condition) => condition.type === 'Established' && condition.status === 'True')) return
    // a name clash never resolves by waiting
    const names = conditions.find((condition) => condition.type === 'NamesAccepted' && condition.status === 'False')
    if (names) throw new Error(`CRD ${name} in kube-context "${context}" cannot be served: ${names.reason}: ${names.message}. Another CRD of group secrets.hashicorp.com claims the same names; remove it and install again.`)
    if (Date.now() >= deadline) {
      const seen = conditions.map((condition) => `${condition.type}=${condition.status}${condition.message ? ` (${condition.message})` : ''}`).join(', ') || 'no conditions yet'
      throw new Error(`CRD ${name} in kube-context "${context}" is not Established in time (${seen}). Check the kube-apiserver's log, then install again.`)
    }
    await sleep(POLL_MS)
  }
}

function kubeError(error: unknown, context: string, what: string, verb: string): Error {
  const code = (error as { code?: number }).code
  if (code === 403) {
    return new Error(`kube-context "${context}" may not ${verb} customresourcedefinitions.apiextensions.k8s.io (403), so it cannot ${what}. Installing CRDs needs a cluster administrator: use an admin context, or ask one to run \`vault-tray crds install\`.`, { cause: error })
  }
  if (code === 401) return new Error(`The apiserver of kube-context "${context}" did not accept its credentials (401) when asked to ${what}. Log in again (refresh the kubeconfig's token) and retry.`, { cause: error })
  if (code) return new Error(`Could not ${what} in kube-context "${context}": HTTP ${code}: ${statusMessage(error)}`, { cause: error })
  return new Error(`Could not ${what}: the apiserver of kube-context "${context}" could not be reached (${(error as Error).message}). Is the cluster running?`, { cause: error })
}

/** The apiserver's Status message, when the body carries one. */
function statusMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body
  try {
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: string } | undefined
    if (status?.message) return status.message
  } catch {
    // not JSON: something in front of the apiserver answered
  }
  return typeof body === 'string' && body ? body.slice(0, 300) : (error as Error).message
}
