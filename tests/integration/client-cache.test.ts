// The encrypted persistent client cache across restarts, against real OpenBao (transit, approle, database),
// PostgreSQL and the Secret Service keychain, and what it does when any of them lets it down.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClientCache } from '../../main/engine/cache/client-cache.ts'
import { SystemKeychain, type Keychain } from '../../main/engine/cache/keychain.ts'
import { createLogger } from '../../main/engine/telemetry/log.ts'
import { Transit } from '../../main/engine/vault/engines.ts'
import { VaultSession, type VaultSessionEvent } from '../../main/engine/vault/session.ts'
import { clock, lab, on, postgresRoleCount, unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'

function suite(server: VaultServer): void {
  const { databaseRole, vaultClient } = on(server)
  const client = vaultClient()
  const logger = createLogger({ level: 'silent' })
  let dir: string
  beforeAll(() => {
    process.env.DBUS_SESSION_BUS_ADDRESS = lab.keychain.dbusAddress
    dir = mkdtempSync(join(tmpdir(), 'vault-tray-cache-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  /** A transit key, a database role and an approle whose token may use both, as the lab will set them up. */
  async function setup() {
    const transitMount = unique('transit')
    await server.call('POST', `sys/mounts/${transitMount}`, { type: 'transit' })
    await server.call('POST', `${transitMount}/keys/vault-tray-client-cache`, {})
    const creds = await databaseRole({ default_ttl: '10m', max_ttl: '1h' })
    const policy = unique('client')
    const rules = (decrypt: boolean) => `
      path "${transitMount}/datakey/plaintext/vault-tray-client-cache" { capabilities = ["update"] }
      ${decrypt ? `path "${transitMount}/decrypt/vault-tray-client-cache" { capabilities = ["update"] }` : ''}
      path "${creds}" { capabilities = ["read"] }
      path "sys/leases/*" { capabilities = ["update"] }`
    await server.call('PUT', `sys/policies/acl/${policy}`, { policy: rules(true) })
    const mount = unique('approle')
    await server.call('POST', `sys/auth/${mount}`, { type: 'approle' })
    await server.call('POST', `auth/${mount}/role/app`, { token_policies: [policy], token_ttl: '10m', bind_secret_id: false, secret_id_bound_cidrs: ['127.0.0.1/32'] })
    const { data } = await server.call<{ data: { role_id: string } }>('GET', `auth/${mount}/role/app/role-id`)
    return {
      creds,
      transitMount,
      file: join(dir, `${unique('cache')}.vtc`),
      keychain: new SystemKeychain(unique('vault-tray-test')) as Keychain,
      auth: { method: 'approle' as const, mount, roleId: data.role_id },
      forbidDecrypt: () => server.call('PUT', `sys/policies/acl/${policy}`, { policy: rules(false) }),
    }
  }

  type Setup = Awaited<ReturnType<typeof setup>>

  /** One run of the app: a new session over the same file and keychain, as after a restart. */
  function run(s: Setup, keychain: Keychain = s.keychain) {
    const events: VaultSessionEvent[] = []
    const cache = new ClientCache({ file: s.file, keychain, transit: new Transit(client, s.transitMount, 'vault-tray-client-cache'), logger })
    const session = new VaultSession({ client, auth: s.auth, cache, clock, onEvent: (event) => events.push(event), saveDelayMs: 50 })
    return { session, cache, events }
  }

  /** A first run that leaves a cache file behind: a token, and a database lease unless told otherwise. */
  async function firstRun(s: Setup, { withLease = true } = {}): Promise<void> {
    const { session } = run(s)
    await session.start()
    if (withLease) await session.leases.acquire({ path: s.creds })
    await session.stop()
  }

  describe('the encrypted client cache', () => {
    it('resumes the token and the database lease after a restart: same username, no new database user', async () => {
      const s = await setup()
      const first = run(s)
      expect((await first.session.start()).restored).toBe(0)
      const issued = await first.session.leases.acquire({ path: s.creds })
      const accessor = (await first.session.tokens.token()).accessor
      await first.session.stop()
      const usersBefore = await postgresRoleCount()

      const content = readFileSync(s.file, 'utf8')
      for (const secret of [String(issued.data.password), String(issued.data.username), (await first.session.tokens.token()).clientToken, issued.leaseId]) expect(content).not.toContain(secret)

      const second = run(s)
      const started = await second.session.start()
      expect(started.problem).toBeUndefined()
      expect(started.leasesResumed).toBe(1)
      expect(second.cache.model).toBe('direct-encrypted')
      expect((await second.session.tokens.token()).accessor).toBe(accessor)
      expect(second.events.find((e) => e.source === 'token')?.event.kind).toBe('resumed')
      expect((await second.session.leases.acquire({ path: s.creds })).data.username).toBe(issued.data.username)
      expect(await postgresRoleCount()).toBe(usersBefore)
      await second.session.stop()
    })

    it('sets a tampered file aside, says so, and starts afresh', async () => {
      const s = await setup()
      await firstRun(s)
      const lines = readFileSync(s.file, 'utf8').trimEnd().split('\n')
      const record = Buffer.from(lines[1]!, 'base64')
      record[record.length - 1]! ^= 1
      lines[1] = record.toString('base64')
      writeFileSync(s.file, lines.join('\n'))

      const second = run(s)
      const started = await second.session.start()
      expect(started.problem).toMatch(/damaged or was tampered with: record 1 of \d+ failed its integrity check\. It was moved to .*\.damaged-/)
      expect(started.leasesResumed).toBe(0)
      expect(readdirSync(dir).some((name) => name.startsWith(s.file.split('/').pop()!) && name.includes('.damaged-'))).toBe(true)
      await second.session.leases.acquire({ path: s.creds })
      await second.session.stop()
      // the new file opens again
      expect((await run(s).session.start()).leasesResumed).toBe(1)
    })

    it('keeps the file untouched and stays in memory when a policy forbids transit decrypt', async () => {
      const s = await setup()
      await firstRun(s)
      const before = readFileSync(s.file)
      await s.forbidDecrypt()

      const second = run(s)
      const started = await second.session.start()
      expect(started.problem).toMatch(/cannot be unlocked: .*decrypt\/vault-tray-client-cache at .* failed \(403\).* Grant "update" on .*\/decrypt\/vault-tray-client-cache; until then it stays in memory and .* is kept as it is\./)
      expect(second.cache.model).toBe('memory')
      await second.session.leases.acquire({ path: s.creds })
      await second.session.stop()
      expect(readFileSync(s.file).equals(before)).toBe(true)
    })

    it('sets the file aside when its transit key was deleted', async () => {
      const s = await setup()
      await firstRun(s, { withLease: false })
      await server.call('POST', `${s.transitMount}/keys/vault-tray-client-cache/config`, { deletion_allowed: true })
      await server.call('DELETE', `${s.transitMount}/keys/vault-tray-client-cache`)

      const started = await run(s).session.start()
      expect(started.problem).toMatch(/its data key cannot be unwrapped \(.*\)\. It was moved to .*\.unreadable-/)
    })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
