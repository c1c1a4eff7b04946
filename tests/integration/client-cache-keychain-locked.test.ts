// The client cache when the OS keychain is locked. A file of its own: the keyring library keeps its D-Bus
// connection for the life of the process, so this process only ever talks to the keychain below.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ClientCache } from '../../main/engine/cache/client-cache.ts'
import { SystemKeychain } from '../../main/engine/cache/keychain.ts'
import { createLogger } from '../../main/engine/telemetry/log.ts'
import { Transit } from '../../main/engine/vault/engines.ts'
import { VaultSession } from '../../main/engine/vault/session.ts'
import { startKeychain } from '../lab/servers/keychain.ts'
import { clock, on, unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'

let runDir: string
let keychain: Awaited<ReturnType<typeof startKeychain>>
beforeAll(async () => {
  runDir = mkdtempSync(join(tmpdir(), 'vault-tray-keychain-'))
  keychain = await startKeychain(runDir, 15_000, new AbortController().signal)
})
afterAll(async () => {
  await keychain.server.stop()
  rmSync(runDir, { recursive: true, force: true })
})

/** A session on `server` whose tokens are sealed in `file` with a transit key of its own. */
async function sessionOn(server: VaultServer, file: string) {
  const client = on(server).vaultClient()
  const transitMount = unique('transit')
  await server.call('POST', `sys/mounts/${transitMount}`, { type: 'transit' })
  await server.call('POST', `${transitMount}/keys/vault-tray-client-cache`, {})
  return () => {
    const cache = new ClientCache({ file, keychain: new SystemKeychain('vault-tray-test'), transit: new Transit(client, transitMount, 'vault-tray-client-cache'), logger: createLogger({ level: 'silent' }) })
    return { cache, session: new VaultSession({ client, auth: { method: 'token', token: server.rootToken }, cache, clock }) }
  }
}

// the keychain can be locked once in a process (unlocking needs a prompt), so each server's cache is written first
it('stays in memory, and keeps the file as it is, when the keychain is locked (OpenBao and Vault)', async () => {
  process.env.DBUS_SESSION_BUS_ADDRESS = keychain.info.dbusAddress
  const runs = await Promise.all(VAULT_SERVERS.map(async (server) => ({ server, file: join(runDir, `${server.name}.vtc`), run: await sessionOn(server, join(runDir, `${server.name}.vtc`)) })))

  // a keychain that works: each cache is written
  const written = new Map<string, Buffer>()
  for (const { server, file, run } of runs) {
    const working = run()
    await working.session.start()
    await working.session.stop()
    expect(working.cache.model, server.name).toBe('direct-encrypted')
    written.set(server.name, readFileSync(file))
  }

  // then locked: the next run cannot read its secret, says so, and leaves the file alone
  execFileSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', 'array:objpath:/org/freedesktop/secrets/collection/login'])
  for (const { server, file, run } of runs) {
    const locked = run()
    expect((await locked.session.start()).problem, server.name).toMatch(new RegExp(`^The OS keychain cannot be used \\(.*unlock.*\\)\\. .* stays in memory this run; .*${server.name}\\.vtc is kept as it is\\.$`))
    await locked.session.stop()
    expect(locked.cache.model, server.name).toBe('memory')
    expect(readFileSync(file).equals(written.get(server.name)!), server.name).toBe(true)
  }
})
