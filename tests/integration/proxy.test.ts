// The local Vault proxy in front of the lab's OpenBao: pass-through, the static secret cache per token,
// freshness, capabilities, and what it says when something is wrong.
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { NonLoopbackError, VaultProxy, type ProxyEvent } from '../../main/engine/proxy/server.ts'
import { freePort } from '../lab/process.ts'
import { bao, clock, lab, tokenWithPolicy, unique } from './helpers.ts'

const run = promisify(execFile)
let proxy: VaultProxy
let address: string
const events: ProxyEvent[] = []

beforeAll(async () => {
  proxy = new VaultProxy({ upstream: { address: lab.openbao.address, skipVerify: false }, clock, pollIntervalMs: 200, capabilityRefreshIntervalMs: 300, tokenCheckMs: 100, onEvent: (event) => events.push(event) })
  address = await proxy.start()
})
afterAll(() => proxy.stop())

async function get(path: string, token: string) {
  const response = await fetch(`${address}/v1/${path}`, { headers: { 'X-Vault-Token': token } })
  return { status: response.status, cache: response.headers.get('x-cache'), age: response.headers.get('age'), body: (await response.json()) as { data?: { data?: unknown }; errors?: string[] } }
}
const write = (path: string, data: Record<string, unknown>, token = lab.openbao.rootToken) =>
  fetch(`${address}/v1/${path}`, { method: 'POST', headers: { 'X-Vault-Token': token, 'content-type': 'application/json' }, body: JSON.stringify({ data }) })
const reader = (secret: string) => tokenWithPolicy(unique('reader'), `path "secret/data/${secret}" { capabilities = ["read"] }\npath "secret/metadata/${secret}" { capabilities = ["read"] }`)

describe('the Vault proxy', () => {
  it('listens on loopback only', () => {
    expect(() => new VaultProxy({ upstream: { address: lab.openbao.address, skipVerify: false }, clock, host: '0.0.0.0' })).toThrow(NonLoopbackError)
    expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })

  it('serves the bao CLI: writes, lists and reads go through unchanged', async () => {
    const secret = unique('cli')
    const env = { PATH: process.env.PATH, HOME: lab.runDir, BAO_ADDR: address, BAO_TOKEN: lab.openbao.rootToken }
    await run(lab.binaries.bao, ['kv', 'put', '-mount=secret', secret, 'user=app', 'password=one'], { env })
    const { stdout } = await run(lab.binaries.bao, ['kv', 'get', '-format=json', '-mount=secret', secret], { env })
    expect(JSON.parse(stdout).data.data).toEqual({ user: 'app', password: 'one' })
    const list = await run(lab.binaries.bao, ['kv', 'list', '-format=json', '-mount=secret'], { env })
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

    await bao('POST', `secret/data/${secret}`, { data: { v: 3 } }) // straight to OpenBao
    await vi.waitFor(async () => expect(await get(`secret/data/${secret}`, token)).toMatchObject({ body: { data: { data: { v: 3 } } } }), { timeout: 3_000, interval: 100 })
  })

  it('stops serving a token whose read capability was taken away, or that was revoked', async () => {
    const secret = unique('revoked')
    await write(`secret/data/${secret}`, { v: 1 })
    const policy = unique('narrow')
    const token = await tokenWithPolicy(policy, `path "secret/data/${secret}" { capabilities = ["read"] }`)
    await get(`secret/data/${secret}`, token)
    expect((await get(`secret/data/${secret}`, token)).cache).toBe('HIT')

    await bao('PUT', `sys/policies/acl/${policy}`, { policy: 'path "secret/data/other" { capabilities = ["read"] }' })
    await vi.waitFor(() => expect(events).toContainEqual(expect.objectContaining({ kind: 'capabilities-refreshed' })), { timeout: 2_000 })
    await vi.waitFor(async () => expect(await get(`secret/data/${secret}`, token)).toMatchObject({ status: 403 }), { timeout: 2_000, interval: 100 })

    const revokedElsewhere = await reader(secret)
    await get(`secret/data/${secret}`, revokedElsewhere)
    await bao('POST', 'auth/token/revoke', { token: revokedElsewhere })
    await new Promise((resolve) => setTimeout(resolve, 150)) // past the proxy's token check window
    expect(await get(`secret/data/${secret}`, revokedElsewhere)).toMatchObject({ status: 403, cache: 'MISS' })

    const revokedThroughProxy = await reader(secret)
    await get(`secret/data/${secret}`, revokedThroughProxy)
    await fetch(`${address}/v1/auth/token/revoke-self`, { method: 'POST', headers: { 'X-Vault-Token': revokedThroughProxy } })
    expect(await get(`secret/data/${secret}`, revokedThroughProxy)).toMatchObject({ status: 403, cache: 'MISS' })
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
    const small = new VaultProxy({ upstream: { address: lab.openbao.address, skipVerify: false }, clock, maxBodyBytes: 1_024, staticSecretCache: false })
    const smallAddress = await small.start()
    try {
      const response = await fetch(`${smallAddress}/v1/secret/data/big`, { method: 'POST', headers: { 'X-Vault-Token': lab.openbao.rootToken }, body: JSON.stringify({ data: { blob: 'x'.repeat(4_096) } }) })
      expect(response.status).toBe(413)
      expect(((await response.json()) as { errors: string[] }).errors[0]).toMatch(/exceeds the proxy's limit of 1024/)
    } finally {
      await small.stop()
    }
  })

  it('runs as `vault-tray proxy`, printing the VAULT_ADDR to use', async () => {
    const port = await freePort()
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli.ts', 'proxy', '--port', String(port)], { env: { PATH: process.env.PATH, HOME: lab.runDir, VAULT_ADDR: lab.openbao.address } })
    try {
      let printed = ''
      child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()))
      await vi.waitFor(() => expect(printed).toContain(`export VAULT_ADDR=http://127.0.0.1:${port}`), { timeout: 15_000, interval: 100 })
      const response = await fetch(`http://127.0.0.1:${port}/v1/sys/health`)
      expect(((await response.json()) as { sealed: boolean }).sealed).toBe(false)
    } finally {
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
  })
})
