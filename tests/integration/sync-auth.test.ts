// VaultAuth methods other than kubernetes, against the real OpenBao and kube-apiserver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_VERSION } from '../../main/engine/sync/api.ts'
import type { SyncEngine } from '../../main/engine/sync/sync-engine.ts'
import { lab, unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'
import { apply, createNamespace, ensureCrds, eventually, readSecret, startEngine } from './sync-helpers.ts'

function suite(server: VaultServer): void {
  let engine: SyncEngine
  let namespace: string
  const kv = unique('kv')

  beforeAll(async () => {
    await ensureCrds()
    namespace = await createNamespace(unique('auth'), 'app')
    await server.call('POST', `sys/mounts/${kv}`, { type: 'kv', options: { version: '2' } })
    await server.call('POST', `${kv}/data/app`, { data: { password: 'by-jwt' } })
    await server.call('PUT', `sys/policies/acl/${kv}`, { policy: `path "${kv}/data/app" { capabilities = ["read"] }` })
    await apply({ apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: 'conn', namespace }, spec: { address: server.address } })
    engine = (await startEngine([namespace])).engine
  })

  afterAll(async () => {
    await engine?.stop()
  })

  describe('jwt auth', () => {
    it('logs in with a ServiceAccount token that Vault verifies with the cluster signing key, no TokenReview', async () => {
      const mount = unique('jwt')
      await server.call('POST', `sys/auth/${mount}`, { type: 'jwt' })
      await server.call('POST', `auth/${mount}/config`, { jwt_validation_pubkeys: [lab.kube.serviceAccountPublicKey], bound_issuer: lab.kube.serviceAccountIssuer })
      await server.call('POST', `auth/${mount}/role/app`, { role_type: 'jwt', bound_audiences: ['vault'], user_claim: 'sub', bound_subject: `system:serviceaccount:${namespace}:app`, token_policies: [kv], token_ttl: '10m' })
      await apply({ apiVersion: API_VERSION, kind: 'VaultAuth', metadata: { name: 'jwt', namespace }, spec: { vaultConnectionRef: 'conn', method: 'jwt', mount, jwt: { role: 'app', serviceAccount: 'app', audiences: ['vault'] } } })
      await apply({ apiVersion: API_VERSION, kind: 'VaultStaticSecret', metadata: { name: 'by-jwt', namespace }, spec: { type: 'kv-v2', mount: kv, path: 'app', vaultAuthRef: 'jwt', destination: { name: 'by-jwt', create: true } } })
      await eventually(async () => (await readSecret(namespace, 'by-jwt'))?.password === 'by-jwt', 'the Secret synced with a jwt login')
    })
  })

  describe('appRole auth', () => {
    it('reads the secret ID from a Kubernetes Secret at each login', async () => {
      const mount = unique('approle')
      await server.call('POST', `sys/auth/${mount}`, { type: 'approle' })
      await server.call('POST', `auth/${mount}/role/app`, { token_policies: [kv], token_ttl: '10m' })
      const { data: role } = await server.call<{ data: { role_id: string } }>('GET', `auth/${mount}/role/app/role-id`)
      const { data: secret } = await server.call<{ data: { secret_id: string } }>('POST', `auth/${mount}/role/app/secret-id`)
      await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'approle', namespace }, data: { id: Buffer.from(secret.secret_id).toString('base64') } } as never)
      await apply({ apiVersion: API_VERSION, kind: 'VaultAuth', metadata: { name: 'approle', namespace }, spec: { vaultConnectionRef: 'conn', method: 'appRole', mount, appRole: { roleId: role.role_id, secretRef: 'approle' } } })
      await apply({ apiVersion: API_VERSION, kind: 'VaultStaticSecret', metadata: { name: 'by-approle', namespace }, spec: { type: 'kv-v2', mount: kv, path: 'app', vaultAuthRef: 'approle', destination: { name: 'by-approle', create: true } } })
      const data = await eventually(() => readSecret(namespace, 'by-approle'), 'the Secret synced with an AppRole login')
      expect(data.password).toBe('by-jwt')
    })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
