// What most window tests start from: a namespace whose ServiceAccount `app` logs in to Vault by kubernetes auth,
// a KV v2 mount of its own, a VaultConnection `conn` and a VaultAuth `default`, and VaultStaticSecrets
// `<name>` → Secret `<name>-secret`; the policy reads only the secrets marked readable, so the others fail
// with a permission error the engine explains.
import { API_VERSION } from '../../main/engine/sync/api.ts'
import { bao, lab, unique } from '../integration/helpers.ts'
import { apply, createNamespace, ensureCrds, kubernetesAuth, kubernetesRole } from '../integration/sync-helpers.ts'

export interface SyncedNamespace {
  namespace: string
  kv: string
}

export async function syncedNamespace(prefix: string, secrets: { name: string; data: Record<string, string>; readable: boolean }[]): Promise<SyncedNamespace> {
  await ensureCrds()
  const mount = await kubernetesAuth()
  const namespace = await createNamespace(unique(prefix), 'app')
  const kv = unique('kv')
  await bao('POST', `sys/mounts/${kv}`, { type: 'kv', options: { version: '2' } })
  for (const { name, data } of secrets) await bao('POST', `${kv}/data/${name}`, { data })
  const readable = secrets.filter((secret) => secret.readable).map((secret) => `path "${kv}/data/${secret.name}" { capabilities = ["read"] }`)
  await bao('PUT', `sys/policies/acl/${kv}`, { policy: readable.join('\n') || `path "${kv}/data/none" { capabilities = ["deny"] }` })
  await kubernetesRole(mount, 'app', 'app', namespace, [kv])
  await apply({ apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: 'conn', namespace }, spec: { address: lab.openbao.address } })
  await apply({ apiVersion: API_VERSION, kind: 'VaultAuth', metadata: { name: 'default', namespace }, spec: { vaultConnectionRef: 'conn', method: 'kubernetes', mount, kubernetes: { role: 'app', serviceAccount: 'app', audiences: ['vault'] } } })
  for (const { name } of secrets) {
    await apply({ apiVersion: API_VERSION, kind: 'VaultStaticSecret', metadata: { name, namespace }, spec: { type: 'kv-v2', mount: kv, path: name, vaultAuthRef: 'default', destination: { name: `${name}-secret`, create: true } } })
  }
  return { namespace, kv }
}
