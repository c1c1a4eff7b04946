// Each attack a reviewer played on the proxy, played again against each of the lab's real servers (OpenBao, HashiCorp Vault): the same request
// sent to Vault directly and through the proxy must get Vault's answer, never a 200 from the cache that Vault
// would have refused.
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PROXY_POLICY_PATHS, VaultProxy } from '../../main/engine/proxy/server.ts'
import { clock, databaseRole, tokenWithPolicy, unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'

function attacks(server: VaultServer): void {
  const tokenFor = (name: string, policy: string, options: Record<string, unknown> = {}) => tokenWithPolicy(name, policy, options, server)
  const TOKEN_CHECK_MS = 100
  const POLL_MS = 200
  let proxy: VaultProxy
  let address: string

  beforeAll(async () => {
    proxy = new VaultProxy({ upstream: { address: server.address, skipVerify: false }, clock, pollIntervalMs: POLL_MS, tokenCheckMs: TOKEN_CHECK_MS })
    address = await proxy.start()
  })
  afterAll(() => proxy.stop())

  interface Answer {
    status: number
    cache: string | null
    body: { lease_id?: string; data?: { data?: Record<string, unknown>; username?: string } & Record<string, unknown>; auth?: { client_token?: string }; wrap_info?: unknown; errors?: string[] }
  }

  async function send(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Answer> {
    const response = await fetch(`${base}/v1/${path}`, { method, headers, redirect: 'manual', body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await response.text()
    return { status: response.status, cache: response.headers.get('x-cache'), body: text.startsWith('{') ? JSON.parse(text) : {} }
  }
  const viaProxy = (method: string, path: string, headers?: Record<string, string>, body?: unknown) => send(address, method, path, headers, body)
  const direct = (method: string, path: string, headers?: Record<string, string>, body?: unknown) => send(server.address, method, path, headers, body)
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  const root = { 'X-Vault-Token': server.rootToken }

  async function secretWith(data: Record<string, unknown>): Promise<string> {
    const name = unique('red')
    await server.call('POST', `secret/data/${name}`, { data })
    return name
  }
  /** Read twice through the proxy with this token, so that the second is a hit. */
  async function cached(path: string, headers: Record<string, string>): Promise<void> {
    await viaProxy('GET', path, headers)
    expect((await viaProxy('GET', path, headers)).cache).toBe('HIT')
  }

  /** A raw request, for the headers fetch will not let a caller set (Host). */
  function raw(headers: Record<string, string>, method = 'GET', path = '/v1/sys/health', body?: string): Promise<number> {
    const { hostname, port } = new URL(address)
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest({ hostname, port, method, path, headers }, (response) => {
        response.resume()
        resolve(response.statusCode ?? 0)
      })
      outgoing.on('error', reject)
      outgoing.end(body)
    })
  }

  describe('logins', () => {
    it('are never answered from the cache: after a password change the old password is refused', async () => {
      const mount = unique('userpass')
      await server.call('POST', `sys/auth/${mount}`, { type: 'userpass' })
      await server.call('POST', `auth/${mount}/users/ana`, { password: 'first', token_policies: ['default'] })
      const login = (password: string) => viaProxy('POST', `auth/${mount}/login/ana`, {}, { password })
      const [one, two] = [await login('first'), await login('first')]
      expect([one.status, two.status]).toEqual([200, 200])
      expect(two.cache).not.toBe('HIT')
      expect(two.body.auth?.client_token).not.toBe(one.body.auth?.client_token)

      await server.call('POST', `auth/${mount}/users/ana/password`, { password: 'second' })
      const stale = await login('first')
      expect(stale.status).toBe((await direct('POST', `auth/${mount}/login/ana`, {}, { password: 'first' })).status)
      expect(stale.status).toBe(400)
    })

    it('a single-use AppRole secret_id works once', async () => {
      const mount = unique('approle')
      await server.call('POST', `sys/auth/${mount}`, { type: 'approle' })
      await server.call('POST', `auth/${mount}/role/ci`, { secret_id_num_uses: 1, token_policies: ['default'] })
      const { data: role } = await server.call<{ data: { role_id: string } }>('GET', `auth/${mount}/role/ci/role-id`)
      const { data: secret } = await server.call<{ data: { secret_id: string } }>('POST', `auth/${mount}/role/ci/secret-id`)
      const login = () => viaProxy('POST', `auth/${mount}/login`, {}, { role_id: role.role_id, secret_id: secret.secret_id })
      expect((await login()).status).toBe(200)
      const again = await login()
      expect(again.cache).not.toBe('HIT')
      expect(again.status).toBeGreaterThanOrEqual(400)
    })
  })

  describe('the cache key holds everything Vault decides on', () => {
    it('another namespace is another request', async () => {
      const name = await secretWith({ v: 'root namespace' })
      await cached(`secret/data/${name}`, root)
      const elsewhere = { ...root, 'X-Vault-Namespace': unique('ns') }
      const answer = await viaProxy('GET', `secret/data/${name}`, elsewhere)
      expect(answer.cache).not.toBe('HIT')
      // OpenBao has no such namespace (404); Vault CE has no namespaces and ignores the header: each as Vault says
      const vaults = await direct('GET', `secret/data/${name}`, elsewhere)
      expect(answer.status).toBe(vaults.status)
      expect(answer.body.data?.data).toEqual(vaults.body.data?.data)
      expect(answer.status).toBe(server.name === 'OpenBao' ? 404 : 200)
    })

    it('a request with an MFA header goes to Vault', async () => {
      const name = await secretWith({ v: 1 })
      await cached(`secret/data/${name}`, root)
      const answer = await viaProxy('GET', `secret/data/${name}`, { ...root, 'X-Vault-MFA': 'totp:123456' })
      expect(answer.cache).not.toBe('HIT')
      expect(answer.status).toBe((await direct('GET', `secret/data/${name}`, { ...root, 'X-Vault-MFA': 'totp:123456' })).status)
    })

    it('a path Vault would read otherwise is not served from the cached one', async () => {
      const name = await secretWith({ v: 1 })
      await cached(`secret/data/${name}`, root)
      for (const odd of [`secret/data//${name}`, `secret/data/${encodeURIComponent(name).replace(/-/g, '%2D')}`]) {
        const answer = await viaProxy('GET', odd, root)
        expect(answer.cache, odd).not.toBe('HIT')
        expect(answer.status, odd).toBe((await direct('GET', odd, root)).status)
      }
    })

    it('`Authorization: bearer` in lower case is no token, as Vault reads it', async () => {
      const name = await secretWith({ v: 1 })
      await cached(`secret/data/${name}`, root)
      const lower = { Authorization: `bearer ${server.rootToken}` }
      const answer = await viaProxy('GET', `secret/data/${name}`, lower)
      expect(answer.status).toBe((await direct('GET', `secret/data/${name}`, lower)).status)
      expect(answer.status).toBe(403)
      // the form Vault does read works, and may be answered from the cache
      expect((await viaProxy('GET', `secret/data/${name}`, { Authorization: `Bearer ${server.rootToken}` })).status).toBe(200)
    })
  })

  describe('response wrapping', () => {
    it('a wrapped request gets a fresh wrapping token from Vault, not the cached secret', async () => {
      const name = await secretWith({ v: 'plain' })
      await cached(`secret/data/${name}`, root)
      const wrapped = await viaProxy('GET', `secret/data/${name}`, { ...root, 'X-Vault-Wrap-TTL': '60s' })
      expect(wrapped.cache).not.toBe('HIT')
      expect(wrapped.body.wrap_info).toBeTruthy()
      expect(wrapped.body.data).toBeNull()
    })

    it('a token whose policy requires wrapping never gets the plain secret', async () => {
      const name = await secretWith({ v: 'plain' })
      await cached(`secret/data/${name}`, root)
      const token = await tokenFor(unique('wrap-only'), `path "secret/data/${name}" {\n  capabilities = ["read"]\n  min_wrapping_ttl = "1s"\n}`)
      const plain = await viaProxy('GET', `secret/data/${name}`, { 'X-Vault-Token': token })
      expect(plain.status).toBe((await direct('GET', `secret/data/${name}`, { 'X-Vault-Token': token })).status)
      expect(plain.status).toBeGreaterThanOrEqual(400)
      const wrapped = await viaProxy('GET', `secret/data/${name}`, { 'X-Vault-Token': token, 'X-Vault-Wrap-TTL': '60s' })
      expect(wrapped.status).toBe(200)
      expect(wrapped.body.wrap_info).toBeTruthy()
      expect((await viaProxy('GET', `secret/data/${name}`, { 'X-Vault-Token': token })).status).toBe(plain.status)
    })
  })

  describe('proof of a read is per token, path and version', () => {
    it('a token denied `version` reads does not get an old version another token cached', async () => {
      const name = await secretWith({ v: 'one' })
      await server.call('POST', `secret/data/${name}`, { data: { v: 'two' } })
      await cached(`secret/data/${name}?version=1`, root)
      const token = await tokenFor(unique('latest-only'), `path "secret/data/${name}" {\n  capabilities = ["read"]\n  denied_parameters = { "version" = [] }\n}`)
      expect((await viaProxy('GET', `secret/data/${name}`, { 'X-Vault-Token': token })).body.data?.data).toEqual({ v: 'two' })
      const old = await viaProxy('GET', `secret/data/${name}?version=1`, { 'X-Vault-Token': token })
      expect(old.status).toBe((await direct('GET', `secret/data/${name}?version=1`, { 'X-Vault-Token': token })).status)
      expect(old.status).toBe(403)
    })
  })

  describe('what changes in Vault behind the proxy', () => {
    it('a secret deleted elsewhere is not served (its current_version does not change)', async () => {
      const name = await secretWith({ v: 1 })
      await cached(`secret/data/${name}`, root)
      await server.call('DELETE', `secret/data/${name}`)
      await pause(POLL_MS * 3)
      const answer = await viaProxy('GET', `secret/data/${name}`, root)
      expect(answer.status).toBe(404)
      expect(answer.cache).toBe('MISS')
    })

    it('a KV v1 secret changed elsewhere is read again within a polling round', async () => {
      const mount = unique('kv1')
      await server.call('POST', `sys/mounts/${mount}`, { type: 'kv', options: { version: '1' } })
      await server.call('POST', `${mount}/app`, { v: 'old' })
      await cached(`${mount}/app`, root)
      await server.call('POST', `${mount}/app`, { v: 'new' })
      await pause(POLL_MS * 2)
      const answer = await viaProxy('GET', `${mount}/app`, root)
      expect(answer.body.data).toEqual({ v: 'new' })
    })

    it('a policy taken away stops hits within the token check interval', async () => {
      const name = await secretWith({ v: 1 })
      const policy = unique('reader')
      const token = await tokenFor(policy, `path "secret/data/${name}" { capabilities = ["read"] }`)
      await cached(`secret/data/${name}`, { 'X-Vault-Token': token })
      await server.call('PUT', `sys/policies/acl/${policy}`, { policy: `path "secret/data/other" { capabilities = ["read"] }` })
      await pause(TOKEN_CHECK_MS * 2)
      expect((await viaProxy('GET', `secret/data/${name}`, { 'X-Vault-Token': token })).status).toBe(403)
    })

    it('a token revoked elsewhere gets nothing from the cache', async () => {
      const name = await secretWith({ v: 1 })
      const token = await tokenFor(unique('reader'), `path "secret/data/${name}" { capabilities = ["read"] }`)
      await cached(`secret/data/${name}`, { 'X-Vault-Token': token })
      await server.call('POST', 'auth/token/revoke', { token })
      await pause(TOKEN_CHECK_MS * 2)
      expect((await viaProxy('GET', `secret/data/${name}`, { 'X-Vault-Token': token })).status).toBe(403)
    })

    it('a lease revoked elsewhere is not handed out again: new credentials come from Vault', async () => {
      const path = await databaseRole({ default_ttl: '10m', max_ttl: '1h' }, server)
      const token = await tokenFor(unique('creds'), `path "${path}" { capabilities = ["read"] }`)
      const first = await viaProxy('GET', path, { 'X-Vault-Token': token })
      expect((await viaProxy('GET', path, { 'X-Vault-Token': token })).cache).toBe('HIT')
      await server.call('PUT', 'sys/leases/revoke', { lease_id: first.body.lease_id })
      await pause(TOKEN_CHECK_MS * 2)
      const fresh = await viaProxy('GET', path, { 'X-Vault-Token': token })
      expect(fresh.cache).toBe('MISS')
      expect(fresh.body.data?.username).not.toBe(first.body.data?.username)
    })
  })

  describe('callers that are not Vault clients', () => {
    it('a request for another host name (DNS rebinding) is refused', async () => {
      const { port } = new URL(address)
      expect(await raw({ Host: `attacker.example:${port}` })).toBe(403)
      expect(await raw({ Host: `127.0.0.1:${port}` })).toBe(200)
      expect(await raw({ Host: `localhost:${port}` })).toBe(200)
    })

    it('a request that carries an Origin (a web page) is refused', async () => {
      const { port } = new URL(address)
      expect(await raw({ Host: `127.0.0.1:${port}`, Origin: 'https://attacker.example' })).toBe(403)
      expect(await raw({ Host: `127.0.0.1:${port}`, Origin: 'null' })).toBe(403)
    })

    it('cache-clear and metrics need a token whose policy grants them; a text/plain POST clears nothing', async () => {
      const name = await secretWith({ v: 1 })
      await cached(`secret/data/${name}`, root)
      const { port } = new URL(address)
      const clear = (headers: Record<string, string>) => raw({ Host: `127.0.0.1:${port}`, 'Content-Type': 'text/plain', ...headers }, 'POST', '/proxy/v1/cache-clear', '{"type":"all"}')
      expect(await clear({})).toBe(403)
      const bystander = await tokenFor(unique('bystander'), `path "secret/data/${name}" { capabilities = ["read"] }`)
      expect(await clear({ 'X-Vault-Token': bystander })).toBe(403)
      expect((await viaProxy('GET', `secret/data/${name}`, root)).cache).toBe('HIT')

      const operator = await tokenFor(unique('proxy-operator'), `path "${PROXY_POLICY_PATHS.cacheClear}" { capabilities = ["update"] }\npath "${PROXY_POLICY_PATHS.metrics}" { capabilities = ["read"] }`)
      expect((await fetch(`${address}/proxy/v1/metrics`)).status).toBe(403)
      expect((await fetch(`${address}/proxy/v1/metrics`, { headers: { 'X-Vault-Token': operator } })).status).toBe(200)
      expect(await clear({ 'X-Vault-Token': operator })).toBe(200)
      expect((await viaProxy('GET', `secret/data/${name}`, root)).cache).toBe('MISS')
    })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => attacks(server))
