// Shared by the sync engine's integration tests: VSO's CRDs in the lab's apiserver, Vault's kubernetes auth
// pointed at it, and an engine that watches only the test's own namespaces (the lab is shared by test files).
import { setTimeout as sleep } from 'node:timers/promises'
import { installCrds } from '../../main/engine/kube/crds.ts'
import { KubeApi, isConflict, isNotFound } from '../../main/engine/kube/api.ts'
import { API_VERSION, PLURALS, type Kind } from '../../main/engine/sync/api.ts'
import { SyncEngine, type SyncEngineOptions, type SyncEvent } from '../../main/engine/sync/sync-engine.ts'
import { createLogger } from '../../main/engine/telemetry/log.ts'
import { grantTokenReview, kubeAdmin, lab, OPENBAO, unique, type VaultServer } from './helpers.ts'

export function adminApi(): KubeApi {
  return new KubeApi(kubeAdmin().config)
}

let crds: Promise<unknown> | undefined
export function ensureCrds(): Promise<unknown> {
  return (crds ??= installCrds(kubeAdmin().config))
}

/** A namespace with these ServiceAccounts; what already exists is kept (a suite run once per server meets its own). */
export async function createNamespace(name: string, ...serviceAccounts: string[]): Promise<string> {
  const api = adminApi()
  const keepExisting = (error: unknown) => {
    if (!isConflict(error)) throw error
  }
  await api.create('/api/v1/namespaces', { metadata: { name } }).catch(keepExisting)
  for (const serviceAccount of serviceAccounts) await api.create(`/api/v1/namespaces/${name}/serviceaccounts`, { metadata: { name: serviceAccount } }).catch(keepExisting)
  return name
}

/** A kubernetes auth mount on the lab's OpenBao that reviews tokens with the lab's apiserver, as the tutorial sets it up. */
export async function kubernetesAuth(mount = unique('kubernetes'), reviewerNamespace = unique('vault'), server: VaultServer = OPENBAO): Promise<string> {
  const namespace = await createNamespace(reviewerNamespace, 'vault-to-k8s-sa')
  await grantTokenReview(namespace, 'vault-to-k8s-sa')
  const { core } = kubeAdmin()
  const review = await core.createNamespacedServiceAccountToken({ name: 'vault-to-k8s-sa', namespace, body: { spec: { audiences: [lab.kube.serviceAccountIssuer], expirationSeconds: 3600 } } })
  await server.call('POST', `sys/auth/${mount}`, { type: 'kubernetes' })
  await server.call('POST', `auth/${mount}/config`, { kubernetes_host: lab.kube.server, kubernetes_ca_cert: lab.kube.caCert, token_reviewer_jwt: review.status!.token, disable_local_ca_jwt: true })
  return mount
}

export async function kubernetesRole(mount: string, role: string, serviceAccount: string, namespace: string, policies: string[], ttl = '1h', server: VaultServer = OPENBAO): Promise<void> {
  await server.call('POST', `auth/${mount}/role/${role}`, { bound_service_account_names: [serviceAccount], bound_service_account_namespaces: [namespace], audience: 'vault', token_policies: policies, token_ttl: ttl })
}

export function resourcePath(kind: Kind, namespace: string, name = ''): string {
  return `/apis/${API_VERSION}/namespaces/${namespace}/${PLURALS[kind]}${name ? `/${name}` : ''}`
}

export async function apply<T extends { kind: string; metadata: { namespace: string; name: string } }>(object: T): Promise<T> {
  const api = adminApi()
  const { kind, metadata } = object
  const path = kind === 'Deployment' ? `/apis/apps/v1/namespaces/${metadata.namespace}/deployments` : kind === 'Secret' ? `/api/v1/namespaces/${metadata.namespace}/secrets` : resourcePath(kind as Kind, metadata.namespace)
  return api.create<T>(path, object)
}

export async function readSecret(namespace: string, name: string): Promise<Record<string, string> | undefined> {
  try {
    const secret = await adminApi().get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${namespace}/secrets/${name}`)
    return Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]))
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
}

export async function readResource<T = { status?: Record<string, unknown>; metadata: Record<string, unknown> }>(kind: Kind, namespace: string, name: string): Promise<T> {
  return adminApi().get<T>(resourcePath(kind, namespace, name))
}

export async function eventsFor(namespace: string, name: string, kind?: string): Promise<{ reason: string; type: string; message: string; count: number }[]> {
  const list = await adminApi().get<{ items: { reason: string; type: string; message: string; count: number; involvedObject: { name: string; kind: string } }[] }>(`/api/v1/namespaces/${namespace}/events`)
  return list.items.filter((event) => event.involvedObject.name === name && (!kind || event.involvedObject.kind === kind))
}

/** Polls until check returns a value that is not undefined/false; fails with the last value seen. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) return value
      last = value
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`)
    await sleep(100)
  }
}

export async function startEngine(namespaces: string[], options: Partial<SyncEngineOptions> = {}): Promise<{ engine: SyncEngine; events: SyncEvent[] }> {
  const events: SyncEvent[] = []
  const engine = new SyncEngine({ kubeConfig: kubeAdmin().config, namespaces, mode: 'write', log: createLogger({ level: 'silent' }), onEvent: (event) => events.push(event), ...options })
  await engine.start()
  return { engine, events }
}

/** Kubernetes auth on one of the two Vault servers: `const { kubernetesAuth, kubernetesRole } = kubeAuthOn(server)`. */
export function kubeAuthOn(server: VaultServer) {
  return {
    kubernetesAuth: (mount?: string, reviewerNamespace?: string) => kubernetesAuth(mount, reviewerNamespace, server),
    kubernetesRole: (mount: string, role: string, serviceAccount: string, namespace: string, policies: string[], ttl?: string) => kubernetesRole(mount, role, serviceAccount, namespace, policies, ttl, server),
  }
}
