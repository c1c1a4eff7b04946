// `npm start -- --proxy --proxy-persist MOUNT/KEY` restarted, as a user runs it, on each real server: the database
// credentials an app got through the proxy come back from the sealed cache after the restart (a HIT, the same
// user), so PostgreSQL gets no new user; without --proxy-persist the restart mints new ones.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lab, on, postgresRoleCount, unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'
import { eventually } from './sync-helpers.ts'

function suite(server: VaultServer): void {
  const { tokenWithPolicy, databaseRole } = on(server)
  const home = mkdtempSync(join(tmpdir(), 'vault-tray-daemon-proxy-'))
  const transit = unique('transit')
  let creds: string
  let appToken: string

  beforeAll(async () => {
    await server.call('POST', `sys/mounts/${transit}`, { type: 'transit' })
    await server.call('POST', `${transit}/keys/proxy-cache`, {})
    creds = await databaseRole({ default_ttl: '10m', max_ttl: '1h' })
    appToken = await tokenWithPolicy(unique('app'), `path "${creds}" { capabilities = ["read"] }`)
  })
  afterAll(() => rmSync(home, { recursive: true, force: true }))

  /** One daemon run with the proxy: the answer an app gets for its database credentials, then a clean stop. */
  async function runOnce(extra: string[]): Promise<{ cache: string | null; username: string; printed: string }> {
    let printed = ''
    // the user's own token (here the root token) unlocks the proxy's sealed cache through transit
    const env = { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: join(home, 'data'), VAULT_ADDR: server.address, VAULT_TOKEN: server.rootToken, DBUS_SESSION_BUS_ADDRESS: lab.keychain.dbusAddress }
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'main/cli.ts', 'daemon', '--proxy', '--proxy-port', '0', '--interval', '600', ...extra], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()))
    child.stderr!.on('data', (chunk: Buffer) => (printed += chunk.toString()))
    try {
      const address = await eventually(async () => /^proxy {2}(http:\/\/127\.0\.0\.1:\d+) /m.exec(printed)?.[1], 'the daemon to print its proxy address', 30_000)
      const response = await fetch(`${address}/v1/${creds}`, { headers: { 'X-Vault-Token': appToken } })
      const body = (await response.json()) as { data: { username: string } }
      return { cache: response.headers.get('x-cache'), username: body.data.username, printed }
    } finally {
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
  }

  it('with --proxy-persist, the credentials come back after a restart: no new database user', { timeout: 90_000 }, async () => {
    const persist = ['--proxy-persist', `${transit}/proxy-cache`]
    const first = await runOnce(persist)
    expect(first.cache).toBe('MISS')
    expect(first.printed).toMatch(/^proxy {2}cache kept across restarts in \S+proxy\.cache: 0 entries restored$/m)
    const users = await postgresRoleCount()
    const sealed = readFileSync(join(home, 'data', 'vault-tray', 'cache', 'proxy.cache'), 'utf8')
    expect(sealed).not.toContain(first.username)
    expect(sealed).not.toContain(appToken)

    const second = await runOnce(persist)
    expect(second.printed).toMatch(/^proxy {2}cache kept across restarts in \S+: [1-9]\d* entries restored$/m)
    expect(second).toMatchObject({ cache: 'HIT', username: first.username })
    expect(await postgresRoleCount()).toBe(users)
    console.log(`${server.name}: daemon restart with --proxy-persist: 0 new database users (${users} before and after)`)
  })

  it('without it, a restart asks Vault again and PostgreSQL gets a new user', { timeout: 90_000 }, async () => {
    const first = await runOnce([])
    const users = await postgresRoleCount()
    const second = await runOnce([])
    expect(second.cache).toBe('MISS')
    expect(second.username).not.toBe(first.username)
    expect(await postgresRoleCount()).toBe(users + 1)
  })

  it('refuses a transit key that is not MOUNT/KEY, and says how to write it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli.ts', 'daemon', '--proxy', '--proxy-persist', 'just-a-key'], { env: { PATH: process.env.PATH, HOME: home, VAULT_ADDR: server.address }, stdio: ['ignore', 'pipe', 'pipe'] })
    let printed = ''
    child.stderr.on('data', (chunk: Buffer) => (printed += chunk.toString()))
    const [code] = (await once(child, 'exit')) as [number]
    expect(code).toBe(2)
    expect(printed).toContain('--proxy-persist wants the transit mount and key as MOUNT/KEY, such as transit/vault-tray-client-cache, not "just-a-key"')
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
