// Every auth method against the lab's OpenBao, with ServiceAccount tokens from the lab's kube-apiserver.
import { describe, expect, it } from 'vitest'
import { requestServiceAccountToken } from '../../main/engine/kube/service-account-token.ts'
import { login, lookupSelf } from '../../main/engine/vault/auth.ts'
import { clock, grantTokenReview, kubeAdmin, lab, namespaceWithServiceAccounts, on, unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'

function suite(server: VaultServer): void {
  const { tokenWithPolicy, vaultClient } = on(server)
  const client = vaultClient()

  describe('auth methods', () => {
    it('token: describes a given token as Vault sees it', async () => {
      const token = await tokenWithPolicy(unique('given'), 'path "secret/*" { capabilities = ["read"] }', { ttl: '5m', renewable: true })
      const described = await lookupSelf(client, token, clock)
      expect(described).toMatchObject({ clientToken: token, renewable: true, method: 'token' })
      expect(described.ttlSeconds).toBeGreaterThan(290)
      expect(described.policies.sort()).toEqual(['default', expect.stringMatching(/^given-/)])
    })

    it('userpass: logs in with a username and password', async () => {
      const mount = unique('userpass')
      await server.call('POST', `sys/auth/${mount}`, { type: 'userpass' })
      await server.call('POST', `auth/${mount}/users/dev`, { password: 'correct horse', token_policies: ['default'], token_ttl: '5m' })
      const token = await login(client, { method: 'userpass', mount, username: 'dev', password: 'correct horse' }, clock)
      expect(token).toMatchObject({ method: 'userpass', renewable: true, ttlSeconds: 300, policies: ['default'] })
      await expect(login(client, { method: 'userpass', mount, username: 'dev', password: 'wrong' }, clock)).rejects.toMatchObject({ status: 400 })
    })

    it('approle: logs in with a role id and secret id', async () => {
      const mount = unique('approle')
      await server.call('POST', `sys/auth/${mount}`, { type: 'approle' })
      await server.call('POST', `auth/${mount}/role/ci`, { token_policies: ['default'], token_ttl: '2m' })
      const { data: role } = await server.call<{ data: { role_id: string } }>('GET', `auth/${mount}/role/ci/role-id`)
      const { data: secret } = await server.call<{ data: { secret_id: string } }>('POST', `auth/${mount}/role/ci/secret-id`)
      const token = await login(client, { method: 'approle', mount, roleId: role.role_id, secretId: secret.secret_id }, clock)
      expect(token).toMatchObject({ method: 'approle', ttlSeconds: 120 })
      expect((await lookupSelf(client, token.clientToken, clock)).accessor).toBe(token.accessor)
    })

    it('kubernetes: logs in with a ServiceAccount token from TokenRequest, for the role audience', async () => {
      const namespace = await namespaceWithServiceAccounts('vault-auth', 'app')
      await grantTokenReview(namespace, 'vault-auth')
      const { config } = kubeAdmin()
      const mount = unique('kubernetes')
      await server.call('POST', `sys/auth/${mount}`, { type: 'kubernetes' })
      await server.call('POST', `auth/${mount}/config`, {
        kubernetes_host: lab.kube.server,
        kubernetes_ca_cert: lab.kube.caCert,
        token_reviewer_jwt: await requestServiceAccountToken(config, { namespace, serviceAccount: 'vault-auth', audiences: [lab.kube.serviceAccountIssuer] }),
        disable_local_ca_jwt: true,
      })
      await server.call('POST', `auth/${mount}/role/app`, { bound_service_account_names: ['app'], bound_service_account_namespaces: [namespace], audience: 'vault', token_policies: ['default'], token_ttl: '5m' })

      const jwt = () => requestServiceAccountToken(config, { namespace, serviceAccount: 'app', audiences: ['vault'] })
      const token = await login(client, { method: 'kubernetes', mount, role: 'app', jwt }, clock)
      expect(token).toMatchObject({ method: 'kubernetes', ttlSeconds: 300 })

      // a token for another audience is refused
      const wrongAudience = () => requestServiceAccountToken(config, { namespace, serviceAccount: 'app', audiences: ['not-vault'] })
      await expect(login(client, { method: 'kubernetes', mount, role: 'app', jwt: wrongAudience }, clock)).rejects.toMatchObject({ status: 403 })
    })

    it('jwt: logs in with a ServiceAccount token verified by the issuer key', async () => {
      const namespace = await namespaceWithServiceAccounts('app')
      const mount = unique('jwt')
      await server.call('POST', `sys/auth/${mount}`, { type: 'jwt' })
      await server.call('POST', `auth/${mount}/config`, { jwt_validation_pubkeys: [lab.kube.serviceAccountPublicKey], bound_issuer: lab.kube.serviceAccountIssuer })
      await server.call('POST', `auth/${mount}/role/app`, {
        role_type: 'jwt',
        bound_audiences: ['vault'],
        user_claim: 'sub',
        bound_subject: `system:serviceaccount:${namespace}:app`,
        token_policies: ['default'],
        token_ttl: '5m',
      })
      const { config } = kubeAdmin()
      const jwt = () => requestServiceAccountToken(config, { namespace, serviceAccount: 'app', audiences: ['vault'] })
      const token = await login(client, { method: 'jwt', mount, role: 'app', jwt }, clock)
      expect(token).toMatchObject({ method: 'jwt', ttlSeconds: 300 })
    })

    it('a TokenRequest for a ServiceAccount that does not exist says so', async () => {
      const namespace = await namespaceWithServiceAccounts()
      await expect(requestServiceAccountToken(kubeAdmin().config, { namespace, serviceAccount: 'ghost', audiences: ['vault'] })).rejects.toThrow(
        `ServiceAccount ${namespace}/ghost does not exist: create it, or name another in the auth settings.`,
      )
    })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
