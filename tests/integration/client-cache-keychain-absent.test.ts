// The client cache on a desktop with no Secret Service at all. A file of its own: the keyring library
// keeps its D-Bus connection (or its failure) for the life of the process.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ClientCache } from '../../main/engine/cache/client-cache.ts'
import { SystemKeychain } from '../../main/engine/cache/keychain.ts'
import { createLogger } from '../../main/engine/telemetry/log.ts'
import { Transit } from '../../main/engine/vault/engines.ts'
import { VaultSession } from '../../main/engine/vault/session.ts'
import { clock, on, unique, VAULT_SERVERS } from './helpers.ts'

for (const server of VAULT_SERVERS) describe(server.name, () => {
  it('stays in memory, writes nothing, and says how to get a keychain', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'vault-tray-no-keychain-'))
    try {
      process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${join(runDir, 'no-such-bus')}`
      const client = on(server).vaultClient()
      const transitMount = unique('transit')
      await server.call('POST', `sys/mounts/${transitMount}`, { type: 'transit' })
      const file = join(runDir, 'cache.vtc')
      const cache = new ClientCache({ file, keychain: new SystemKeychain('vault-tray-test'), transit: new Transit(client, transitMount, 'vault-tray-client-cache'), logger: createLogger({ level: 'silent' }) })
      const session = new VaultSession({ client, auth: { method: 'token', token: server.rootToken }, cache, clock })

      expect((await session.start()).problem).toMatch(/^The OS keychain cannot be used \(.+\)\. Unlock it, or on Linux start a Secret Service such as gnome-keyring or KeePassXC; .* nothing is written\.$/)
      await session.stop()
      expect(cache.model).toBe('memory')
      expect(existsSync(file)).toBe(false)
    } finally {
      rmSync(runDir, { recursive: true, force: true })
    }
  })
})
