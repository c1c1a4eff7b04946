// Leases and certificates over time: renewal until Vault will not extend, revocation of a deleted resource's
// lease, and certificates issued again before they expire. Real OpenBao, PostgreSQL and kube-apiserver.
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_VERSION } from '../../main/engine/sync/api.ts'
import { fileLedger } from '../../main/engine/sync/lease-ledger.ts'
import type { SyncEngine } from '../../main/engine/sync/sync-engine.ts'
import { canLogIn, on, unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'
import { adminApi, apply, createNamespace, ensureCrds, eventsFor, eventually, kubeAuthOn, readResource, readSecret, resourcePath, startEngine } from './sync-helpers.ts'

function suite(server: VaultServer): void {
  const { databaseRole } = on(server)
  const { kubernetesAuth, kubernetesRole } = kubeAuthOn(server)
  let engine: SyncEngine
  let namespace: string
  let authMount: string

  const dynamicSecret = (name: string, path: string, spec: Record<string, unknown> = {}) => ({
    apiVersion: API_VERSION,
    kind: 'VaultDynamicSecret',
    metadata: { name, namespace },
    spec: { mount: path.split('/')[0], path: path.split('/').slice(1).join('/'), vaultAuthRef: 'auth', destination: { name, create: true }, ...spec },
  })

  async function authFor(role: string, policy: string): Promise<void> {
    await server.call('PUT', `sys/policies/acl/${role}`, { policy })
    await kubernetesRole(authMount, role, 'app', namespace, [role])
    await apply({ apiVersion: API_VERSION, kind: 'VaultAuth', metadata: { name: role, namespace }, spec: { vaultConnectionRef: 'conn', method: 'kubernetes', mount: authMount, kubernetes: { role, serviceAccount: 'app', audiences: ['vault'] } } })
  }

  beforeAll(async () => {
    await ensureCrds()
    authMount = await kubernetesAuth()
    namespace = await createNamespace(unique('leases'), 'app')
    await apply({ apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: 'conn', namespace }, spec: { address: server.address } })
    engine = (await startEngine([namespace], { rollout: { coalesceMs: 100, maxRestarts: 5, loopWindowMs: 60_000 } })).engine
  })

  afterAll(async () => {
    await engine?.stop()
  })

  describe('dynamic secrets', () => {
    it('renews the lease until Vault will not extend it, then fetches new credentials and restarts the target', { timeout: 60_000 }, async () => {
      const path = await databaseRole({ default_ttl: '4s', max_ttl: '9s' })
      await authFor('short', `path "${path}" { capabilities = ["read"] }`)
      await apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'db-app', namespace }, spec: { selector: { matchLabels: { app: 'db-app' } }, template: { metadata: { labels: { app: 'db-app' } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } } } })
      await apply(dynamicSecret('short', path, { vaultAuthRef: 'short', renewalPercent: 50, rolloutRestartTargets: [{ kind: 'Deployment', name: 'db-app' }] }))
      const first = await eventually(() => readSecret(namespace, 'short'), 'the first credentials')
      expect(await canLogIn(first)).toBe(true)
      const second = await eventually(async () => {
        const data = await readSecret(namespace, 'short')
        return data && data.username !== first.username ? data : undefined
      }, 'credentials replaced at the max TTL', 30_000)
      expect(await canLogIn(second)).toBe(true)
      const expected = ['SecretSynced', 'SecretLeaseRenewal', 'SecretRotated', 'RolloutRestartTriggered']
      await eventually(async () => {
        const reasons = (await eventsFor(namespace, 'short', 'VaultDynamicSecret')).map((event) => event.reason)
        return expected.every((reason) => reasons.includes(reason))
      }, `events ${expected.join(', ')}`)
    })

    it('revokes the lease of a deleted resource that asks for it, so its credentials stop working', async () => {
      const path = await databaseRole({ default_ttl: '1h', max_ttl: '2h' })
      // revoking a lease needs its own grant, as in VSO's docs
      await authFor('revoking', `path "${path}" { capabilities = ["read"] }\npath "sys/leases/revoke" { capabilities = ["update"] }`)
      await apply(dynamicSecret('revoking', path, { vaultAuthRef: 'revoking', revoke: true }))
      const data = await eventually(() => readSecret(namespace, 'revoking'), 'the credentials')
      await eventually(async () => (await readResource<{ status?: { secretLease?: { id: string } } }>('VaultDynamicSecret', namespace, 'revoking')).status?.secretLease?.id, 'the lease in status')
      expect(await canLogIn(data)).toBe(true)
      await adminApi().delete(resourcePath('VaultDynamicSecret', namespace, 'revoking'))
      await eventually(async () => !(await canLogIn(data)), 'the credentials to be revoked')
    })
  })

  describe('PKI secrets', () => {
    it('issues a kubernetes.io/tls Secret and issues it again expiryOffset before it expires', { timeout: 60_000 }, async () => {
      const mount = unique('pki')
      await server.call('POST', `sys/mounts/${mount}`, { type: 'pki', config: { max_lease_ttl: '24h' } })
      await server.call('POST', `${mount}/root/generate/internal`, { common_name: 'Lab Root', ttl: '24h' })
      await server.call('POST', `${mount}/roles/web`, { allowed_domains: ['example.com'], allow_subdomains: true, max_ttl: '1h' })
      await authFor('pki', `path "${mount}/issue/web" { capabilities = ["update"] }`)
      await apply({
        apiVersion: API_VERSION,
        kind: 'VaultPKISecret',
        metadata: { name: 'tls', namespace },
        spec: { vaultAuthRef: 'pki', mount, role: 'web', commonName: 'app.example.com', altNames: ['www.example.com'], ttl: '12s', expiryOffset: '9s', destination: { name: 'tls', create: true, type: 'kubernetes.io/tls' } },
      })
      const first = await eventually(() => readSecret(namespace, 'tls'), 'the certificate')
      const certificate = new X509Certificate(first['tls.crt']!)
      expect(certificate.subject).toContain('CN=app.example.com')
      expect(certificate.subjectAltName).toContain('DNS:www.example.com')
      expect(first['tls.key']).toMatch(/^-----BEGIN (RSA )?PRIVATE KEY-----/)
      expect(first['ca.crt']).toMatch(/^-----BEGIN CERTIFICATE-----/)
      const status = await eventually(async () => (await readResource<{ status?: { serialNumber?: string; valid: boolean } }>('VaultPKISecret', namespace, 'tls')).status, 'the status')
      const renewed = await eventually(async () => {
        const now = (await readResource<{ status?: { serialNumber?: string } }>('VaultPKISecret', namespace, 'tls')).status
        return now?.serialNumber && now.serialNumber !== status.serialNumber ? now : undefined
      }, 'a new certificate before expiry', 20_000)
      expect(renewed.serialNumber).not.toBe(status.serialNumber)
      expect(new X509Certificate((await readSecret(namespace, 'tls'))!['tls.crt']!).serialNumber).not.toBe(certificate.serialNumber)
    })
  })

  describe('dynamic secrets with params and no lease', () => {
    it('sends params with PUT, and fetches again at refreshAfter when the answer has no lease', async () => {
      const mount = unique('pki')
      await server.call('POST', `sys/mounts/${mount}`, { type: 'pki', config: { max_lease_ttl: '24h' } })
      await server.call('POST', `${mount}/root/generate/internal`, { common_name: 'Lab Root', ttl: '24h' })
      await server.call('POST', `${mount}/roles/web`, { allowed_domains: ['example.com'], allow_subdomains: true, max_ttl: '1h' })
      await authFor('params', `path "${mount}/issue/web" { capabilities = ["update"] }`)
      await apply(dynamicSecret('params', `${mount}/issue/web`, { vaultAuthRef: 'params', params: { common_name: 'vds.example.com', ttl: '10m' }, refreshAfter: '2s' }))
      const first = await eventually(() => readSecret(namespace, 'params'), 'the certificate')
      expect(new X509Certificate(first.certificate!).subject).toContain('CN=vds.example.com')
      await eventually(async () => (await readSecret(namespace, 'params'))?.serial_number !== first.serial_number, 'a new certificate at refreshAfter', 15_000)
    })
  })

  describe('a resource deleted while the engine was stopped', () => {
    it('has its lease revoked at the next start, from the lease ledger', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vault-tray-ledger-'))
      const ledger = fileLedger(join(dir, 'leases.json'))
      const path = await databaseRole({ default_ttl: '1h', max_ttl: '2h' })
      await authFor('offline', `path "${path}" { capabilities = ["read"] }\npath "sys/leases/revoke" { capabilities = ["update"] }`)
      const namespaces = [namespace]
      // one writer only: the main engine of this file steps aside for this test
      await engine.stop()
      let offline = (await startEngine(namespaces, { ledger })).engine
      try {
        await apply(dynamicSecret('offline', path, { vaultAuthRef: 'offline', revoke: true }))
        const data = await eventually(() => readSecret(namespace, 'offline'), 'the credentials')
        await offline.whenIdle()
        await offline.stop()
        await adminApi().delete(resourcePath('VaultDynamicSecret', namespace, 'offline'))
        expect(await canLogIn(data)).toBe(true)
        const restarted = await startEngine(namespaces, { ledger })
        offline = restarted.engine
        expect(restarted.events.filter((event) => event.kind === 'lease-revoked')).toEqual([expect.objectContaining({ ok: true, key: `VaultDynamicSecret/${namespace}/offline` })])
        await eventually(async () => !(await canLogIn(data)), 'the lease revoked at start')
        expect(ledger.load()).toEqual([])
      } finally {
        await offline.stop()
        engine = (await startEngine(namespaces, { rollout: { coalesceMs: 100, maxRestarts: 5, loopWindowMs: 60_000 } })).engine
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
