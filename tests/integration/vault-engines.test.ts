// KV v1/v2, transit, PKI and capabilities through the engine's Vault client, against the lab's OpenBao.
import { X509Certificate } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { VaultClient } from '../../main/engine/vault/client.ts'
import { Transit, capabilitiesSelf, issueCertificate } from '../../main/engine/vault/engines.ts'
import { KvV1, KvV2 } from '../../main/engine/vault/kv.ts'
import { on, unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'

function suite(server: VaultServer): void {
  const { tokenWithPolicy, vaultClient } = on(server)
  const client = vaultClient()
  const root = server.rootToken

  describe('KV v2', () => {
    it('writes versions, reads the latest or a pinned one, and reports current_version', async () => {
      const kv = new KvV2(client, 'secret')
      const path = unique('app')
      await kv.write(path, root, { password: 'one' })
      const second = await kv.write(path, root, { password: 'two' }, 1)
      expect(second.version).toBe(2)

      expect((await kv.read(path, root)).data).toEqual({ password: 'two' })
      expect((await kv.read(path, root, 1)).data).toEqual({ password: 'one' })
      const metadata = await kv.metadata(path, root)
      expect(metadata.current_version).toBe(2)
      expect(Object.keys(metadata.versions)).toEqual(['1', '2'])
      expect(await kv.list('', root)).toContain(path)
    })

    it('refuses a check-and-set write against a stale version', async () => {
      const kv = new KvV2(client, 'secret')
      const path = unique('cas')
      await kv.write(path, root, { a: 1 })
      await expect(kv.write(path, root, { a: 2 }, 0)).rejects.toThrow(/check-and-set/)
    })

    it('deletes and undeletes a version, and destroys it for good', async () => {
      const kv = new KvV2(client, 'secret')
      const path = unique('deleted')
      await kv.write(path, root, { v: 1 })
      await kv.write(path, root, { v: 2 })

      await kv.delete(path, root)
      await expect(kv.read(path, root)).rejects.toMatchObject({ status: 404 })
      expect((await kv.metadata(path, root)).versions['2']?.deletion_time).not.toBe('')
      await kv.undelete(path, root, [2])
      expect((await kv.read(path, root)).data).toEqual({ v: 2 })

      await kv.destroy(path, root, [1])
      expect((await kv.metadata(path, root)).versions['1']?.destroyed).toBe(true)
      await kv.deleteMetadata(path, root)
      await expect(kv.metadata(path, root)).rejects.toMatchObject({ status: 404 })
    })
  })

  describe('KV v1', () => {
    it('writes, reads, lists and deletes', async () => {
      const mount = unique('kv1')
      await server.call('POST', `sys/mounts/${mount}`, { type: 'kv', options: { version: '1' } })
      const kv = new KvV1(client, mount)
      await kv.write('team/db', root, { user: 'app' })
      expect(await kv.read('team/db', root)).toEqual({ user: 'app' })
      expect(await kv.list('team', root)).toEqual(['db'])
      await kv.delete('team/db', root)
      await expect(kv.read('team/db', root)).rejects.toMatchObject({ status: 404 })
    })
  })

  describe('transit', () => {
    it('encrypts and decrypts, rewraps after a key rotation, and issues data keys', async () => {
      const mount = unique('transit')
      await server.call('POST', `sys/mounts/${mount}`, { type: 'transit' })
      const transit = new Transit(client, mount, 'cache')
      await transit.createKey(root)

      const ciphertext = await transit.encrypt(root, Buffer.from('hello'))
      expect(ciphertext).toMatch(/^vault:v1:/)
      expect((await transit.decrypt(root, ciphertext)).toString()).toBe('hello')

      await server.call('POST', `${mount}/keys/cache/rotate`)
      const rewrapped = await transit.rewrap(root, ciphertext)
      expect(rewrapped).toMatch(/^vault:v2:/)
      expect((await transit.decrypt(root, rewrapped)).toString()).toBe('hello')

      const key = await transit.dataKey(root)
      expect(key.plaintext).toHaveLength(32)
      expect(await transit.decrypt(root, key.ciphertext)).toEqual(key.plaintext)
    })
  })

  describe('PKI', () => {
    it('issues a certificate with the requested names from a role', async () => {
      const mount = unique('pki')
      await server.call('POST', `sys/mounts/${mount}`, { type: 'pki', config: { max_lease_ttl: '24h' } })
      await server.call('POST', `${mount}/root/generate/internal`, { common_name: 'lab root', ttl: '24h' })
      await server.call('POST', `${mount}/roles/web`, { allowed_domains: ['example.test'], allow_subdomains: true, max_ttl: '1h' })

      const issued = await issueCertificate(client, root, mount, 'web', { common_name: 'app.example.test', alt_names: 'api.example.test', ttl: '10m' })
      const certificate = new X509Certificate(issued.data.certificate)
      expect(certificate.subject).toContain('CN=app.example.test')
      expect(certificate.subjectAltName).toContain('DNS:api.example.test')
      expect(certificate.verify(new X509Certificate(issued.data.issuing_ca).publicKey)).toBe(true)
      expect(issued.data.private_key).toMatch(/PRIVATE KEY/)
    })
  })

  describe('sys/capabilities-self', () => {
    it("lists what the token may do on each path, and 'deny' elsewhere", async () => {
      const name = unique('reader')
      const token = await tokenWithPolicy(name, `path "secret/data/${name}/*" { capabilities = ["read", "list"] }`)
      const capabilities = await capabilitiesSelf(client, token, [`secret/data/${name}/db`, 'secret/data/other'])
      expect(capabilities).toEqual({ [`secret/data/${name}/db`]: ['list', 'read'], 'secret/data/other': ['deny'] })
    })
  })

  describe('a Vault namespace', () => {
    if (server.name === 'Vault') {
      it('is an Enterprise feature: Vault CE refuses to make one', async () => {
        await expect(server.call('POST', `sys/namespaces/${unique('team')}`)).rejects.toThrow(/404 .*enterprise-only feature/)
      })
      return
    }
    it('routes every request of a client set to it, and only those', async () => {
      const namespace = unique('team')
      await server.call('POST', `sys/namespaces/${namespace}`)
      const inNamespace = new VaultClient({ address: server.address, skipVerify: false, namespace })
      await inNamespace.request({ method: 'POST', path: 'sys/mounts/kv', token: root, body: { type: 'kv', options: { version: '2' } } })
      await new KvV2(inNamespace, 'kv').write('app', root, { team: namespace })

      expect((await new KvV2(inNamespace, 'kv').read('app', root)).data).toEqual({ team: namespace })
      await expect(new KvV2(client, 'kv').read('app', root)).rejects.toMatchObject({ status: 404 })
      inNamespace.close()
    })
  })

  describe('the client connection pool', () => {
    it('serves a burst of 500 requests over a bounded number of sockets', async () => {
      const burstClient = vaultClient()
      const openFiles = () => readdirSync('/proc/self/fd').length
      const before = openFiles()
      let peak = before
      const sampler = setInterval(() => (peak = Math.max(peak, openFiles())), 5)
      await Promise.all(Array.from({ length: 500 }, () => burstClient.request({ method: 'GET', path: 'auth/token/lookup-self', token: root })))
      clearInterval(sampler)
      burstClient.close()
      // the pool allows 32 sockets; a socket per request would add 500 descriptors
      expect(peak - before).toBeLessThanOrEqual(40)
    })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
