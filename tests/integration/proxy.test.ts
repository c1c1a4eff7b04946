// The local Vault proxy in front of the lab's OpenBao: pass-through, the static secret cache per token,
// freshness, capabilities, and what it says when something is wrong.
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { ProxyEvent } from '../../main/engine/proxy/events.ts'
import { NonLoopbackError, VaultProxy } from '../../main/engine/proxy/server.ts'
import { localCertificate } from '../../main/engine/proxy/tls.ts'
import { freePort } from '../lab/process.ts'
import { startOpenBao } from '../lab/servers/openbao.ts'
import { canLogIn, clock, lab, on, postgresRoleCount, unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'

function suite(server: VaultServer): void {
  const { tokenWithPolicy, databaseRole } = on(server)
  const run = promisify(execFile)
  let proxy: VaultProxy
  let address: string
  const events: ProxyEvent[] = []

  beforeAll(async () => {
    proxy = new VaultProxy({ upstream: { address: server.address, skipVerify: false }, clock, pollIntervalMs: 200, capabilityRefreshIntervalMs: 300, tokenCheckMs: 100, onEvent: (event) => events.push(event) })
    address = await proxy.start()
  })
  afterAll(() => proxy.stop())

  async function get(path: string, token: string) {
    const response = await fetch(`${address}/v1/${path}`, { headers: { 'X-Vault-Token': token } })
    return { status: response.status, cache: response.headers.get('x-cache'), age: response.headers.get('age'), body: (await response.json()) as { data?: { data?: unknown }; errors?: string[] } }
  }
  const write = (path: string, data: Record<string, unknown>, token = server.rootToken) =>
    fetch(`${address}/v1/${path}`, { method: 'POST', headers: { 'X-Vault-Token': token, 'content-type': 'application/json' }, body: JSON.stringify({ data }) })
  const reader = (secret: string) => tokenWithPolicy(unique('reader'), `path "secret/data/${secret}" { capabilities = ["read"] }\npath "secret/metadata/${secret}" { capabilities = ["read"] }`)

  describe('the Vault proxy', () => {
    it('listens on loopback only', () => {
      expect(() => new VaultProxy({ upstream: { address: server.address, skipVerify: false }, clock, host: '0.0.0.0' })).toThrow(NonLoopbackError)
      expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    })

    it('serves the server\'s CLI (bao, vault): writes, lists and reads go through unchanged', async () => {
      const secret = unique('cli')
      const env = { PATH: process.env.PATH, HOME: lab.runDir, BAO_ADDR: address, VAULT_ADDR: address, BAO_TOKEN: server.rootToken, VAULT_TOKEN: server.rootToken }
      await run(server.cli, ['kv', 'put', '-mount=secret', secret, 'user=app', 'password=one'], { env })
      const { stdout } = await run(server.cli, ['kv', 'get', '-format=json', '-mount=secret', secret], { env })
      expect(JSON.parse(stdout).data.data).toEqual({ user: 'app', password: 'one' })
      const list = await run(server.cli, ['kv', 'list', '-format=json', '-mount=secret'], { env })
      expect(JSON.parse(list.stdout)).toContain(secret)
    })

    it('answers a second read from the cache, with X-Cache and Age, and keeps versions apart', async () => {
      const secret = unique('cached')
      await write(`secret/data/${secret}`, { v: 1 })
      await write(`secret/data/${secret}`, { v: 2 })
      const token = await reader(secret)

      expect(await get(`secret/data/${secret}`, token)).toMatchObject({ status: 200, cache: 'MISS', body: { data: { data: { v: 2 } } } })
      const hit = await get(`secret/data/${secret}`, token)
      expect(hit).toMatchObject({ status: 200, cache: 'HIT', body: { data: { data: { v: 2 } } } })
      expect(Number(hit.age)).toBeGreaterThanOrEqual(0)

      expect(await get(`secret/data/${secret}?version=1`, token)).toMatchObject({ cache: 'MISS', body: { data: { data: { v: 1 } } } })
      expect(await get(`secret/data/${secret}?version=1`, token)).toMatchObject({ cache: 'HIT', body: { data: { data: { v: 1 } } } })
      expect(await get(`secret/data/${secret}`, token)).toMatchObject({ cache: 'HIT', body: { data: { data: { v: 2 } } } })
    })

    it('never serves a token from the cache before it has read the secret through Vault', async () => {
      const secret = unique('per-token')
      await write(`secret/data/${secret}`, { v: 1 })
      await get(`secret/data/${secret}`, await reader(secret))

      const stranger = await tokenWithPolicy(unique('stranger'), 'path "secret/data/elsewhere" { capabilities = ["read"] }')
      expect(await get(`secret/data/${secret}`, stranger)).toMatchObject({ status: 403, cache: 'MISS' })
      const second = await reader(secret)
      expect(await get(`secret/data/${secret}`, second)).toMatchObject({ status: 200, cache: 'MISS' })
      expect(await get(`secret/data/${secret}`, second)).toMatchObject({ status: 200, cache: 'HIT' })
    })

    it('evicts at once on a write through the proxy, and within the polling interval on a write made elsewhere', async () => {
      const secret = unique('fresh')
      await write(`secret/data/${secret}`, { v: 1 })
      const token = await reader(secret)
      await get(`secret/data/${secret}`, token)

      await write(`secret/data/${secret}`, { v: 2 })
      expect(await get(`secret/data/${secret}`, token)).toMatchObject({ cache: 'MISS', body: { data: { data: { v: 2 } } } })

      await server.call('POST', `secret/data/${secret}`, { data: { v: 3 } }) // straight to OpenBao
      await vi.waitFor(async () => expect(await get(`secret/data/${secret}`, token)).toMatchObject({ body: { data: { data: { v: 3 } } } }), { timeout: 3_000, interval: 100 })
    })

    it('with a token to subscribe with, follows Vault\'s event stream: a change made elsewhere evicts long before polling would', async () => {
      const statuses: ProxyEvent[] = []
      const watching = new VaultProxy({ upstream: { address: server.address, skipVerify: false }, clock, pollIntervalMs: 60_000, tokenCheckMs: 100, eventsToken: async () => server.rootToken, onEvent: (event) => statuses.push(event) })
      const watchingAddress = await watching.start()
      try {
        const freshness = statuses.find((event) => event.kind === 'freshness')
        if (server.name === 'OpenBao') {
          // OpenBao has no event stream: said, and polled instead
          expect(freshness).toEqual({ kind: 'freshness', status: { mode: 'polling', reason: expect.stringMatching(/has no event stream \(HTTP 404 from sys\/events\/subscribe\).*; polling every 60s$/) } })
          return
        }
        expect(freshness).toEqual({ kind: 'freshness', status: { mode: 'events' } })
        const secret = unique('evented')
        await write(`secret/data/${secret}`, { v: 1 })
        const token = await reader(secret)
        const read = async () => {
          const response = await fetch(`${watchingAddress}/v1/secret/data/${secret}`, { headers: { 'X-Vault-Token': token } })
          return { status: response.status, cache: response.headers.get('x-cache'), body: (await response.json()) as { data?: { data?: unknown } } }
        }
        await read()
        expect((await read()).cache).toBe('HIT')
        await server.call('POST', `secret/data/${secret}`, { data: { v: 2 } }) // straight to Vault
        await vi.waitFor(async () => expect(await read()).toMatchObject({ cache: 'MISS', body: { data: { data: { v: 2 } } } }), { timeout: 3_000, interval: 50 })
        expect((await read()).cache).toBe('HIT')
        await server.call('DELETE', `secret/metadata/${secret}`)
        await vi.waitFor(async () => expect((await read()).status).toBe(404), { timeout: 3_000, interval: 50 })

        // KV v1 has no metadata to poll, but its writes are events too
        const v1 = unique('kv1')
        await server.call('POST', `sys/mounts/${v1}`, { type: 'kv', options: { version: '1' } })
        await server.call('POST', `${v1}/app`, { v: 'old' })
        const readV1 = async () => {
          const response = await fetch(`${watchingAddress}/v1/${v1}/app`, { headers: { 'X-Vault-Token': server.rootToken } })
          return { cache: response.headers.get('x-cache'), body: (await response.json()) as { data?: unknown } }
        }
        await readV1()
        expect((await readV1()).cache).toBe('HIT')
        await server.call('POST', `${v1}/app`, { v: 'new' })
        await vi.waitFor(async () => expect(await readV1()).toMatchObject({ cache: 'MISS', body: { data: { v: 'new' } } }), { timeout: 3_000, interval: 50 })
      } finally {
        await watching.stop()
      }
    })

    it('stops serving a token whose read capability was taken away, or that was revoked', async () => {
      const secret = unique('revoked')
      await write(`secret/data/${secret}`, { v: 1 })
      const policy = unique('narrow')
      const token = await tokenWithPolicy(policy, `path "secret/data/${secret}" { capabilities = ["read"] }`)
      await get(`secret/data/${secret}`, token)
      expect((await get(`secret/data/${secret}`, token)).cache).toBe('HIT')

      await server.call('PUT', `sys/policies/acl/${policy}`, { policy: 'path "secret/data/other" { capabilities = ["read"] }' })
      await vi.waitFor(() => expect(events).toContainEqual(expect.objectContaining({ kind: 'capabilities-refreshed' })), { timeout: 2_000 })
      await vi.waitFor(async () => expect(await get(`secret/data/${secret}`, token)).toMatchObject({ status: 403 }), { timeout: 2_000, interval: 100 })

      const revokedElsewhere = await reader(secret)
      await get(`secret/data/${secret}`, revokedElsewhere)
      await server.call('POST', 'auth/token/revoke', { token: revokedElsewhere })
      await new Promise((resolve) => setTimeout(resolve, 150)) // past the proxy's token check window
      expect(await get(`secret/data/${secret}`, revokedElsewhere)).toMatchObject({ status: 403, cache: 'MISS' })

      const revokedThroughProxy = await reader(secret)
      await get(`secret/data/${secret}`, revokedThroughProxy)
      await fetch(`${address}/v1/auth/token/revoke-self`, { method: 'POST', headers: { 'X-Vault-Token': revokedThroughProxy } })
      expect(await get(`secret/data/${secret}`, revokedThroughProxy)).toMatchObject({ status: 403, cache: 'MISS' })
    })

    it('serves the CLI over TLS with a certificate made on this machine, and over a Unix socket only its user may open', async () => {
      const runDir = mkdtempSync(join(tmpdir(), 'vault-tray-proxy-tls-'))
      const certificate = await localCertificate(join(runDir, 'tls'))
      expect(statSync(join(runDir, 'tls', 'proxy-key.pem')).mode & 0o777).toBe(0o600)
      expect((await localCertificate(join(runDir, 'tls'))).cert).toBe(certificate.cert) // kept for the next run
      const secure = new VaultProxy({ upstream: { address: server.address, skipVerify: false }, clock, tls: certificate })
      const socketPath = join(runDir, 'proxy.sock')
      const local = new VaultProxy({ upstream: { address: server.address, skipVerify: false }, clock, socketPath })
      const [secureAddress, socketAddress] = [await secure.start(), await local.start()]
      try {
        const secret = unique('tls')
        await write(`secret/data/${secret}`, { via: 'tls' })
        const cli = (env: Record<string, string>) => run(server.cli, ['kv', 'get', '-format=json', '-mount=secret', secret], { env: { PATH: process.env.PATH!, HOME: runDir, BAO_TOKEN: server.rootToken, VAULT_TOKEN: server.rootToken, ...env } })

        expect(secureAddress).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
        expect(JSON.parse((await cli({ BAO_ADDR: secureAddress, VAULT_ADDR: secureAddress, BAO_CACERT: certificate.certFile, VAULT_CACERT: certificate.certFile })).stdout).data.data).toEqual({ via: 'tls' })
        await expect(cli({ BAO_ADDR: secureAddress, VAULT_ADDR: secureAddress })).rejects.toMatchObject({ stderr: expect.stringMatching(/certificate/) })

        expect(socketAddress).toBe(`unix://${socketPath}`)
        expect(statSync(socketPath).mode & 0o777).toBe(0o600)
        expect(JSON.parse((await cli({ BAO_ADDR: socketAddress, VAULT_ADDR: socketAddress })).stdout).data.data).toEqual({ via: 'tls' })
      } finally {
        await secure.stop()
        await local.stop()
        rmSync(runDir, { recursive: true, force: true })
      }
    })

    it('answers 502 with the reason when the upstream Vault is down, without hanging', async () => {
      const dead = new VaultProxy({ upstream: { address: `http://127.0.0.1:${await freePort()}`, skipVerify: false }, clock, staticSecretCache: false })
      const deadAddress = await dead.start()
      try {
        const response = await fetch(`${deadAddress}/v1/secret/data/x`, { headers: { 'X-Vault-Token': 'whatever' }, signal: AbortSignal.timeout(5_000) })
        expect(response.status).toBe(502)
        expect(((await response.json()) as { errors: string[] }).errors[0]).toMatch(/^vault-tray proxy: the upstream Vault at http:\/\/127\.0\.0\.1:\d+ could not be reached \(ECONNREFUSED\)/)
      } finally {
        await dead.stop()
      }
    })

    it('refuses an oversize body with 413, in Vault’s error format', async () => {
      const small = new VaultProxy({ upstream: { address: server.address, skipVerify: false }, clock, maxBodyBytes: 1_024, staticSecretCache: false })
      const smallAddress = await small.start()
      try {
        const response = await fetch(`${smallAddress}/v1/secret/data/big`, { method: 'POST', headers: { 'X-Vault-Token': server.rootToken }, body: JSON.stringify({ data: { blob: 'x'.repeat(4_096) } }) })
        expect(response.status).toBe(413)
        expect(((await response.json()) as { errors: string[] }).errors[0]).toMatch(/exceeds the proxy's limit of 1024/)
      } finally {
        await small.stop()
      }
    })

    it('runs as `vault-tray proxy`, printing the VAULT_ADDR to use', async () => {
      const port = await freePort()
      const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli.ts', 'proxy', '--port', String(port)], { env: { PATH: process.env.PATH, HOME: lab.runDir, VAULT_ADDR: server.address } })
      try {
        let printed = ''
        child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()))
        await vi.waitFor(() => expect(printed).toContain(`export VAULT_ADDR=http://127.0.0.1:${port}`), { timeout: 15_000, interval: 100 })
        // without auto-auth there is no token to subscribe with: the proxy says how it keeps the cache fresh instead
        expect(printed).toContain('cached secrets kept fresh by polling, because no token to subscribe to the event stream with; polling every 30s')
        const response = await fetch(`http://127.0.0.1:${port}/v1/sys/health`)
        expect(((await response.json()) as { sealed: boolean }).sealed).toBe(false)
      } finally {
        child.kill('SIGTERM')
        await once(child, 'exit')
      }
    })

    it('clears its cache on request, by path, by token or all of it', async () => {
      const secret = unique('clear')
      await write(`secret/data/${secret}`, { v: 1 })
      const token = await reader(secret)
      const fill = async () => {
        await get(`secret/data/${secret}`, token)
        expect((await get(`secret/data/${secret}`, token)).cache).toBe('HIT')
      }
      const clear = (body: unknown) => fetch(`${address}/proxy/v1/cache-clear`, { method: 'POST', headers: { 'X-Vault-Token': server.rootToken }, body: JSON.stringify(body) })

      await fill()
      expect(await (await clear({ type: 'request_path', value: `/v1/secret/data/${secret}` })).json()).toEqual({ cleared: 1 })
      expect((await get(`secret/data/${secret}`, token)).cache).toBe('MISS')
      await fill()
      expect(await (await clear({ type: 'token', value: token })).json()).toEqual({ cleared: 1 })
      expect((await get(`secret/data/${secret}`, token)).cache).toBe('MISS')
      await fill()
      await clear({ type: 'all' })
      expect((await get(`secret/data/${secret}`, token)).cache).toBe('MISS')
      expect((await clear({ type: 'everything' })).status).toBe(400)
    })

    it('lends the engine its token under auto-auth: to tokenless requests, or to all of them when forced', async () => {
      const secret = unique('auto')
      await write(`secret/data/${secret}`, { v: 'auto' })
      const engineToken = await reader(secret)
      const statuses: ProxyEvent[] = []
      const lending = new VaultProxy({ upstream: { address: server.address, skipVerify: false }, clock, autoAuth: { token: async () => engineToken, useAutoAuthToken: true }, onEvent: (event) => statuses.push(event) })
      const forcing = new VaultProxy({ upstream: { address: server.address, skipVerify: false }, clock, autoAuth: { token: async () => engineToken, useAutoAuthToken: 'force' } })
      const [lendingAddress, forcingAddress] = [await lending.start(), await forcing.start()]
      try {
        // with a token to subscribe with, the proxy learns it cannot have the event stream, and says so and why
        expect(statuses).toContainEqual({
          kind: 'freshness',
          status: { mode: 'polling', reason: expect.stringMatching(/HTTP 403\): this server may have no event stream \(OpenBao; Vault before 1\.16 without -experiment events\.alpha1\), or the token may not .*; polling every 30s$/) },
        })
        const read = (base: string, headers: Record<string, string>) => fetch(`${base}/v1/secret/data/${secret}`, { headers })
        expect((await read(lendingAddress, {})).status).toBe(200)
        expect((await read(lendingAddress, { 'X-Vault-Token': 'not-a-token' })).status).toBe(403) // its own token wins
        expect((await read(forcingAddress, { 'X-Vault-Token': 'not-a-token' })).status).toBe(200)
        expect((await read(address, {})).status).toBe(403) // no auto-auth unless asked for
      } finally {
        await lending.stop()
        await forcing.stop()
      }
    })

    it('passes a malformed request through, and Vault’s answer to it back, unchanged', async () => {
      const send = (base: string) => fetch(`${base}/v1/secret/data/${unique('bad')}`, { method: 'POST', headers: { 'X-Vault-Token': server.rootToken }, body: '{"data": ' })
      const [direct, proxied] = [await send(server.address), await send(address)]
      expect(proxied.status).toBe(direct.status)
      expect(proxied.status).toBe(400)
      expect(await proxied.json()).toEqual(await direct.json())
    })

    it('serves nothing from the cache while Vault is sealed, unless told to be optimistic', async () => {
      const runDir = mkdtempSync(join(tmpdir(), 'vault-tray-proxy-refresh-'))
      const upstream = await startOpenBao(server.cli, runDir, 30_000, new AbortController().signal)
      const { address: vault, rootToken, unsealKey } = upstream.info
      const proxies = { optimistic: new VaultProxy({ upstream: { address: vault, skipVerify: false }, clock, refreshBehavior: 'optimistic', tokenCheckMs: 50 }), pessimistic: new VaultProxy({ upstream: { address: vault, skipVerify: false }, clock, tokenCheckMs: 50 }) }
      const addresses = { optimistic: await proxies.optimistic.start(), pessimistic: await proxies.pessimistic.start() }
      const call = (method: string, path: string, body?: unknown) => fetch(`${vault}/v1/${path}`, { method, headers: { 'X-Vault-Token': rootToken }, body: body === undefined ? undefined : JSON.stringify(body) })
      try {
        await call('POST', 'secret/data/app', { data: { v: 1 } })
        const read = async (which: keyof typeof proxies) => {
          const response = await fetch(`${addresses[which]}/v1/secret/data/app`, { headers: { 'X-Vault-Token': rootToken } })
          return `${response.status} ${response.headers.get('x-cache')}`
        }
        for (const which of ['optimistic', 'pessimistic'] as const) expect([await read(which), await read(which)]).toEqual(['200 MISS', '200 HIT'])

        await call('PUT', 'sys/seal')
        await new Promise((resolve) => setTimeout(resolve, 100)) // past tokenCheckMs: Vault must be asked again
        expect(await read('pessimistic')).toBe('503 MISS') // Vault's own answer
        expect(await read('optimistic')).toBe('200 HIT') // the user's choice: what was last known, for one refresh interval
        await call('PUT', 'sys/unseal', { key: unsealKey })
        expect(await read('pessimistic')).toBe('200 HIT')
      } finally {
        await proxies.optimistic.stop()
        await proxies.pessimistic.stop()
        await upstream.server.stop()
        rmSync(runDir, { recursive: true, force: true })
      }
    })

    it('passes a sealed Vault’s 503 through as Vault wrote it', async () => {
      const runDir = mkdtempSync(join(tmpdir(), 'vault-tray-proxy-sealed-'))
      const sealed = await startOpenBao(server.cli, runDir, 30_000, new AbortController().signal)
      const front = new VaultProxy({ upstream: { address: sealed.info.address, skipVerify: false }, clock })
      const frontAddress = await front.start()
      try {
        await fetch(`${sealed.info.address}/v1/sys/seal`, { method: 'PUT', headers: { 'X-Vault-Token': sealed.info.rootToken } })
        const direct = await fetch(`${sealed.info.address}/v1/secret/data/x`, { headers: { 'X-Vault-Token': sealed.info.rootToken } })
        const proxied = await fetch(`${frontAddress}/v1/secret/data/x`, { headers: { 'X-Vault-Token': sealed.info.rootToken } })
        expect(proxied.status).toBe(503)
        expect(await proxied.json()).toEqual(await direct.json())
      } finally {
        await front.stop()
        await sealed.server.stop()
        rmSync(runDir, { recursive: true, force: true })
      }
    })

    it('counts hits, misses, evictions, capability refreshes and upstream latency, with no token or path in a label', async () => {
      const secret = unique('metered')
      await write(`secret/data/${secret}`, { v: 1 })
      const token = await reader(secret)
      await get(`secret/data/${secret}`, token)
      await get(`secret/data/${secret}`, token)
      await write(`secret/data/${secret}`, { v: 2 })
      await proxy.refreshCapabilities()

      const scraped = await fetch(`${address}/proxy/v1/metrics`, { headers: { 'X-Vault-Token': server.rootToken } })
      expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/)
      const metrics = await scraped.text()
      const value = (line: RegExp) => Number(metrics.match(line)?.[1] ?? NaN)
      expect(value(/^vault_tray_proxy_requests_total\{method="GET",status="2xx",cache="HIT"\} (\d+)$/m)).toBeGreaterThanOrEqual(1)
      expect(value(/^vault_tray_proxy_requests_total\{method="GET",status="2xx",cache="MISS"\} (\d+)$/m)).toBeGreaterThanOrEqual(1)
      expect(value(/^vault_tray_proxy_cache_evictions_total\{reason="write-through-proxy"\} (\d+)$/m)).toBeGreaterThanOrEqual(1)
      expect(value(/^vault_tray_proxy_capability_refreshes_total (\d+)$/m)).toBeGreaterThanOrEqual(1)
      expect(value(/^vault_tray_proxy_upstream_request_duration_seconds_count\{method="GET"\} (\d+)$/m)).toBeGreaterThanOrEqual(1)
      for (const leak of [token, server.rootToken, secret]) expect(metrics).not.toContain(leak)
    })

    describe('lease cache', () => {
      async function credsToken(creds: string) {
        return tokenWithPolicy(unique('creds'), `path "${creds}" { capabilities = ["read"] }\npath "sys/leases/*" { capabilities = ["update"] }`)
      }
      const creds = (path: string, token: string) =>
        fetch(`${address}/v1/${path}`, { headers: { 'X-Vault-Token': token } }).then(async (response) => ({
          cache: response.headers.get('x-cache'),
          status: response.status,
          body: (await response.json()) as { lease_id: string; data: { username: string; password: string } },
        }))

      it('answers the same request from the same token with the same lease, without a new database user', async () => {
        const path = await databaseRole({ default_ttl: '10m', max_ttl: '1h' })
        const token = await credsToken(path)
        const users = await postgresRoleCount()
        const first = await creds(path, token)
        const second = await creds(path, token)
        expect(first).toMatchObject({ status: 200, cache: 'MISS' })
        expect(second).toMatchObject({ status: 200, cache: 'HIT' })
        expect(second.body.data.username).toBe(first.body.data.username)
        expect(await postgresRoleCount()).toBe(users + 1)
        expect(await canLogIn(second.body.data)).toBe(true)

        // another token is another request: its own credentials
        expect((await creds(path, await credsToken(path))).body.data.username).not.toBe(first.body.data.username)
      })

      it('evicts a lease revoked through the proxy, and everything of a token revoked through it', async () => {
        const path = await databaseRole({ default_ttl: '10m', max_ttl: '1h' })
        const token = await credsToken(path)
        const first = await creds(path, token)
        await fetch(`${address}/v1/sys/leases/revoke`, { method: 'PUT', headers: { 'X-Vault-Token': token }, body: JSON.stringify({ lease_id: first.body.lease_id }) })
        const fresh = await creds(path, token)
        expect(fresh.cache).toBe('MISS')
        expect(fresh.body.data.username).not.toBe(first.body.data.username)
        expect(await canLogIn(first.body.data)).toBe(false)

        expect((await creds(path, token)).cache).toBe('HIT')
        await fetch(`${address}/v1/auth/token/revoke-self`, { method: 'POST', headers: { 'X-Vault-Token': token } })
        expect(await creds(path, token)).toMatchObject({ status: 403, cache: 'MISS' })
      })

      it('caches a token created through it, and clears leases on request', async () => {
        const create = () =>
          fetch(`${address}/v1/auth/token/create`, { method: 'POST', headers: { 'X-Vault-Token': server.rootToken }, body: JSON.stringify({ policies: ['default'], ttl: '10m', display_name: 'proxy-test' }) }).then(
            async (response) => ({ cache: response.headers.get('x-cache'), token: ((await response.json()) as { auth: { client_token: string } }).auth.client_token }),
          )
        const first = await create()
        const second = await create()
        expect([first.cache, second.cache]).toEqual(['MISS', 'HIT'])
        expect(second.token).toBe(first.token)

        const cleared = await fetch(`${address}/proxy/v1/cache-clear`, { method: 'POST', headers: { 'X-Vault-Token': server.rootToken }, body: JSON.stringify({ type: 'lease', value: first.token }) })
        expect(await cleared.json()).toEqual({ cleared: 1 })
        expect((await create()).cache).toBe('MISS')
      })
    })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
