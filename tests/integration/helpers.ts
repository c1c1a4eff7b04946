// Shared by the integration tests: reach the lab's servers as their administrator.
import { randomBytes } from 'node:crypto'
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node'
import { inject } from 'vitest'
import { systemClock } from '../../main/engine/clock.ts'
import { VaultClient } from '../../main/engine/vault/client.ts'

export const lab = inject('lab')
export const clock = systemClock

/** A name no other test uses, for mounts, namespaces and roles. */
export const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`

export function vaultClient(options: ConstructorParameters<typeof VaultClient>[1] = {}): VaultClient {
  return new VaultClient({ address: lab.openbao.address, skipVerify: false }, options)
}

/** A call to the lab's OpenBao with its root token; throws on any non-2xx answer. */
export async function bao<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${lab.openbao.address}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': lab.openbao.rootToken, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`)
  return (text ? JSON.parse(text) : undefined) as T
}

/** A token with just these policies (HCL bodies), for tests that need less than root. */
export async function tokenWithPolicy(name: string, policy: string, options: Record<string, unknown> = {}): Promise<string> {
  await bao('PUT', `sys/policies/acl/${name}`, { policy })
  const { auth } = await bao<{ auth: { client_token: string } }>('POST', 'auth/token/create', { policies: [name], ttl: '10m', ...options })
  return auth.client_token
}

export function kubeAdmin() {
  const config = new KubeConfig()
  config.loadFromFile(lab.kube.kubeconfig)
  return { config, core: config.makeApiClient(CoreV1Api), rbac: config.makeApiClient(RbacAuthorizationV1Api) }
}

/** A namespace with the given ServiceAccounts, as a standalone apiserver has no controllers to make them. */
export async function namespaceWithServiceAccounts(...names: string[]): Promise<string> {
  const { core } = kubeAdmin()
  const namespace = unique('ns')
  await core.createNamespace({ body: { metadata: { name: namespace } } })
  for (const name of names) await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } })
  return namespace
}

/** Lets a ServiceAccount call TokenReview, as Vault's kubernetes auth reviewer must. */
export async function grantTokenReview(namespace: string, serviceAccount: string): Promise<void> {
  await kubeAdmin().rbac.createClusterRoleBinding({
    body: {
      metadata: { name: `${namespace}-${serviceAccount}-token-review` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
    },
  })
}
