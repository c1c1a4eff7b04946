// Idempotent writes to Vault and Kubernetes: read, compare with what the lab wants, write only what differs, and
// say what changed. In a server the lab does not own, it creates what is missing (remembering it for `down`),
// changes only what it created itself, and refuses, with the reason, to change anything that was already there.
import { setTimeout as sleep } from 'node:timers/promises'
import { isNotFound, type KubeApi } from '../kube/api.ts'
import { PLURALS, type Kind } from '../sync/api.ts'
import { VaultError } from '../vault/client.ts'
import type { KubeTarget, LabContext, VaultTarget } from './context.ts'
import type { StepHandle } from './runner.ts'

/** The field manager of the lab's server-side applies. */
export const LAB_FIELD_MANAGER = 'vault-tray-lab'

export class NotTheLabsError extends Error {}

/** Every field of `want` is in `have` with the same value (servers add defaults); arrays match element by element. */
export function contains(have: unknown, want: unknown): boolean {
  if (Array.isArray(want)) return Array.isArray(have) && have.length === want.length && want.every((item, index) => contains(have[index], item))
  if (want !== null && typeof want === 'object') {
    if (have === null || typeof have !== 'object' || Array.isArray(have)) return false
    return Object.entries(want).every(([key, value]) => contains((have as Record<string, unknown>)[key], value))
  }
  return have === want
}

/** A new KV v2 mount answers 400 "Upgrading from non-versioned to versioned data" for a moment: wait that out. */
async function settled<T>(request: () => Promise<T>): Promise<T> {
  for (let waited = 0; ; waited += 100) {
    try {
      return await request()
    } catch (error) {
      if (!(error instanceof VaultError && error.status === 400 && error.errors.some((text) => /upgrading from non-versioned/i.test(text))) || waited > 10_000) throw error
      await sleep(100)
    }
  }
}

/** A Vault read's `data`, or undefined when nothing is at that path. */
export async function vaultRead<T = Record<string, unknown>>(vault: VaultTarget, path: string): Promise<T | undefined> {
  try {
    const response = await settled(() => vault.client.request<{ data?: T }>({ method: 'GET', path, token: vault.token }))
    return (response?.data ?? response) as T
  } catch (error) {
    if (error instanceof VaultError && error.status === 404) return undefined
    throw error
  }
}

/** An object as the apiserver has it, or undefined when there is none. */
export async function kubeGet<T = KubeObject>(api: KubeApi, path: string): Promise<T | undefined> {
  try {
    return await api.get<T>(path)
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
}

export class VaultSetup {
  constructor(
    private readonly step: StepHandle,
    private readonly context: LabContext,
  ) {}

  get vault(): VaultTarget {
    return this.context.vault!
  }

  /** The lab may change what is in its own Vault, and what it created in anyone else's. */
  mayChange(path: string): boolean {
    return this.vault.owned || this.context.store.createdPath('vault', path)
  }

  read<T = Record<string, unknown>>(path: string): Promise<T | undefined> {
    return vaultRead<T>(this.vault, path)
  }

  write(path: string, body: unknown): Promise<unknown> {
    this.step.checkpoint()
    return settled(() => this.vault.client.request({ method: 'POST', path, token: this.vault.token, body }))
  }

  /** A secrets engine at `path`, of this type (and KV version). */
  async mount(path: string, type: string, options?: Record<string, string>): Promise<void> {
    const mounts = (await this.read<Record<string, { type: string; options?: Record<string, string> | null }>>('sys/mounts')) ?? {}
    await this.#mounted(`sys/mounts/${path}`, mounts[`${path}/`], { type, ...(options ? { options } : {}) }, `${type}${options?.version ? ` v${options.version}` : ''} secrets engine at ${path}/`)
  }

  /** An auth method at `path`; done once per run, as several steps need it. */
  authMount(path: string, type: string): Promise<void> {
    return this.context.once(`auth:${path}`, async () => {
      const auths = (await this.read<Record<string, { type: string }>>('sys/auth')) ?? {}
      await this.#mounted(`sys/auth/${path}`, auths[`${path}/`], { type }, `${type} auth method at auth/${path}/`)
    })
  }

  async #mounted(enablePath: string, existing: { type: string; options?: Record<string, string> | null } | undefined, want: { type: string; options?: Record<string, string> }, what: string): Promise<void> {
    if (existing) {
      const sameVersion = !want.options?.version || (existing.options?.version ?? '1') === want.options.version
      if (existing.type === want.type && sameVersion) return
      const found = `${existing.type}${existing.options?.version ? ` v${existing.options.version}` : ''}`
      throw new NotTheLabsError(`${enablePath.replace(/^sys\/(mounts|auth)\//, '')}/ on ${this.vault.address} is a ${found} ${enablePath.startsWith('sys/auth') ? 'auth method' : 'secrets engine'}, not the ${what} the tutorial needs. ${this.#remedy()}`)
    }
    if (this.step.dryRun) return this.step.changed(`enable the ${what}`)
    if (!this.vault.owned) this.context.store.created({ in: 'vault', path: enablePath, what })
    await this.write(enablePath, want)
    this.step.changed(`enabled the ${what}`)
  }

  /**
   * Makes `path` hold what the lab wants. `have` picks from what Vault returns the fields to compare with `want`
   * (write-only fields such as passwords cannot be compared: `force` writes anyway).
   */
  async ensure(args: { path: string; what: string; want: unknown; have: (data: Record<string, unknown>) => unknown; body: unknown; force?: boolean; deletePath?: string }): Promise<void> {
    const current = await this.read(args.path)
    if (current && !args.force && JSON.stringify(args.have(current)) === JSON.stringify(args.want)) return
    if (current && !this.mayChange(args.path)) {
      throw new NotTheLabsError(`${args.what} (${args.path}) on ${this.vault.address} exists with other settings, and the lab does not change what it did not create. ${this.#remedy()}`)
    }
    if (this.step.dryRun) return this.step.changed(`${current ? 'update' : 'create'} ${args.what}`)
    if (!current && !this.vault.owned) this.context.store.created({ in: 'vault', path: args.deletePath ?? args.path, what: args.what })
    await this.write(args.path, args.body)
    this.step.changed(`${current ? 'updated' : 'created'} ${args.what}`)
  }

  policy(name: string, text: string): Promise<void> {
    const path = `sys/policies/acl/${name}`
    return this.ensure({ path, what: `policy ${name}`, want: text.trim(), have: (data) => String(data.policy ?? '').trim(), body: { policy: text } })
  }

  /** A role of the kubernetes auth method: compared on the fields the lab sets. */
  kubernetesRole(mount: string, name: string, role: Record<string, unknown>): Promise<void> {
    const fields = Object.keys(role)
    return this.ensure({ path: `auth/${mount}/role/${name}`, what: `kubernetes auth role ${name}`, want: role, have: (data) => Object.fromEntries(fields.map((field) => [field, data[field]])), body: role })
  }

  #remedy(): string {
    return this.vault.owned ? 'Run `vault-tray lab down`, then `lab up`, to start over.' : 'Remove or rename it, or let the lab run a Vault of its own (leave out --vault-addr).'
  }
}

interface Manifest {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string }
}

const CORE_PLURALS: Record<string, string> = { Namespace: 'namespaces', ServiceAccount: 'serviceaccounts', Secret: 'secrets', ClusterRoleBinding: 'clusterrolebindings', Deployment: 'deployments' }

/** The apiserver path of an object, from its apiVersion, kind, namespace and name. */
export function objectPath(manifest: Manifest): string {
  const plural = CORE_PLURALS[manifest.kind] ?? PLURALS[manifest.kind as Kind]
  if (!plural) throw new Error(`the lab does not know the resource of kind ${manifest.kind}`)
  const group = manifest.apiVersion === 'v1' ? '/api/v1' : `/apis/${manifest.apiVersion}`
  const namespace = manifest.metadata.namespace ? `/namespaces/${manifest.metadata.namespace}` : ''
  return `${group}${namespace}/${plural}/${manifest.metadata.name}`
}

export interface KubeObject {
  metadata: { name: string; namespace?: string; uid: string; resourceVersion: string }
}

export class KubeSetup {
  constructor(
    private readonly step: StepHandle,
    private readonly context: LabContext,
  ) {}

  get kube(): KubeTarget {
    return this.context.kube!
  }

  get api(): KubeApi {
    return this.kube.api
  }

  mayChange(path: string): boolean {
    return this.kube.owned || this.context.store.createdPath('kube', path)
  }

  get<T = KubeObject>(path: string): Promise<T | undefined> {
    return kubeGet<T>(this.api, path)
  }

  /** Creates the object, or applies it again when it lacks a field the lab sets; returns it as the apiserver has it. */
  async object(manifest: Manifest, what = `${manifest.kind} ${manifest.metadata.namespace ? `${manifest.metadata.namespace}/` : ''}${manifest.metadata.name}`): Promise<KubeObject | undefined> {
    const path = objectPath(manifest)
    const current = await this.get(path)
    if (current && contains(current, manifest)) return current
    if (current && !this.mayChange(path)) {
      throw new NotTheLabsError(`${what} exists in kube-context "${this.api.context}" with other settings, and the lab does not change what it did not create. Remove it, or use a cluster of the lab's own (leave out --cluster current / --context).`)
    }
    if (this.step.dryRun) return void this.step.changed(`${current ? 'update' : 'create'} ${what}`)
    if (!current && !this.kube.owned) this.context.store.created({ in: 'kube', path, what })
    this.step.checkpoint()
    const applied = await this.api.patch<KubeObject>(path, manifest, 'apply', { fieldManager: LAB_FIELD_MANAGER, force: true })
    this.step.changed(`${current ? 'updated' : 'created'} ${what}`)
    return applied
  }
}
