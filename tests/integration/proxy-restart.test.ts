// The proxy comes back warm after a restart: its caches are kept in the encrypted client cache.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ClientCache } from '../../main/engine/cache/client-cache.ts'
import { SystemKeychain } from '../../main/engine/cache/keychain.ts'
import { VaultProxy } from '../../main/engine/proxy/server.ts'
import { createLogger } from '../../main/engine/telemetry/log.ts'
import { Transit } from '../../main/engine/vault/engines.ts'
import { clock, lab, on, postgresRoleCount, unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'

function suite(server: VaultServer): void {
  const { tokenWithPolicy, databaseRole, vaultClient } = on(server)
  let dir: string
  beforeAll(() => {
    process.env.DBUS_SESSION_BUS_ADDRESS = lab.keychain.dbusAddress
    dir = mkdtempSync(join(tmpdir(), 'vault-tray-proxy-restart-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('serves cached secrets and leases again after a restart, with no new database user and no plaintext on disk', async () => {
    const transitMount = unique('transit')
    await server.call('POST', `sys/mounts/${transitMount}`, { type: 'transit' })
    await server.call('POST', `${transitMount}/keys/vault-tray-client-cache`, {})
    const secret = unique('kept')
    await server.call('POST', `secret/data/${secret}`, { data: { password: 'kept-secret-value' } })
    const creds = await databaseRole({ default_ttl: '10m', max_ttl: '1h' })
    const token = await tokenWithPolicy(unique('app'), `path "secret/data/${secret}" { capabilities = ["read"] }\npath "${creds}" { capabilities = ["read"] }\npath "sys/leases/*" { capabilities = ["update"] }`)

    const file = join(dir, 'proxy.vtc')
    const keychainService = unique('vault-tray-test')
    const start = async () => {
      const client = vaultClient()
      const cache = new ClientCache({ file, keychain: new SystemKeychain(keychainService), transit: new Transit(client, transitMount, 'vault-tray-client-cache'), logger: createLogger({ level: 'silent' }) })
      const proxy = new VaultProxy({ upstream: { address: server.address, skipVerify: false }, clock, persistence: { cache, token: async () => server.rootToken, saveIntervalMs: 200 } })
      return { proxy, address: await proxy.start() }
    }
    const read = async (address: string, path: string) => {
      const response = await fetch(`${address}/v1/${path}`, { headers: { 'X-Vault-Token': token } })
      return { cache: response.headers.get('x-cache'), body: (await response.json()) as { data: Record<string, unknown> } }
    }

    const first = await start()
    expect((await read(first.address, `secret/data/${secret}`)).cache).toBe('MISS')
    const issued = await read(first.address, creds)
    expect(issued.cache).toBe('MISS')
    // saved while running, not only at stop: a crash loses at most one interval
    await vi.waitFor(() => expect(existsSync(file)).toBe(true), { timeout: 3_000, interval: 50 })
    await first.proxy.stop()
    const users = await postgresRoleCount()
    const onDisk = readFileSync(file, 'utf8')
    for (const plaintext of ['kept-secret-value', token, String(issued.body.data.password), String(issued.body.data.username)]) expect(onDisk).not.toContain(plaintext)

    const second = await start()
    try {
      expect(await read(second.address, `secret/data/${secret}`)).toMatchObject({ cache: 'HIT', body: { data: { data: { password: 'kept-secret-value' } } } })
      const again = await read(second.address, creds)
      expect(again.cache).toBe('HIT')
      expect(again.body.data.username).toBe(issued.body.data.username)
      expect(await postgresRoleCount()).toBe(users)
    } finally {
      await second.proxy.stop()
    }
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
