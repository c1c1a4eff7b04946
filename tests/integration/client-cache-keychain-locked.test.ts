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
import { bao, clock, lab, unique, vaultClient } from './helpers.ts'

const client = vaultClient()
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

it('stays in memory, and keeps the file as it is, when the keychain is locked', async () => {
  const transitMount = unique('transit')
  await bao('POST', `sys/mounts/${transitMount}`, { type: 'transit' })
  await bao('POST', `${transitMount}/keys/vault-tray-client-cache`, {})
  const file = join(runDir, 'cache.vtc')
  const run = () => {
    const cache = new ClientCache({ file, keychain: new SystemKeychain('vault-tray-test'), transit: new Transit(client, transitMount, 'vault-tray-client-cache'), logger: createLogger({ level: 'silent' }) })
    return { cache, session: new VaultSession({ client, auth: { method: 'token', token: lab.openbao.rootToken }, cache, clock }) }
  }

  // a keychain that works: the cache is written
  process.env.DBUS_SESSION_BUS_ADDRESS = keychain.info.dbusAddress
  const working = run()
  await working.session.start()
  await working.session.stop()
  expect(working.cache.model).toBe('direct-encrypted')
  const written = readFileSync(file)

  // then locked: the next run cannot read its secret, says so, and leaves the file alone
  execFileSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', 'array:objpath:/org/freedesktop/secrets/collection/login'])
  const locked = run()
  expect((await locked.session.start()).problem).toMatch(/^The OS keychain cannot be used \(.*unlock.*\)\. .* stays in memory this run; .*cache\.vtc is kept as it is\.$/)
  await locked.session.stop()
  expect(locked.cache.model).toBe('memory')
  expect(readFileSync(file).equals(written)).toBe(true)
})
