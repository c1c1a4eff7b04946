// The sync engine's encrypted client cache across restarts, against each real Vault server (OpenBao, HashiCorp
// Vault), kube-apiserver and the Secret Service keychain. Logins are counted where Vault counts them: each AppRole
// login uses up one use of its secret ID, so the uses left say exactly how many logins there were.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SystemKeychain } from '../../main/engine/cache/keychain.ts'
import { API_VERSION } from '../../main/engine/sync/api.ts'
import type { SyncEngine, SyncEvent } from '../../main/engine/sync/sync-engine.ts'
import { STORAGE_ENCRYPTION_LABEL, type TokenCacheStatus } from '../../main/engine/sync/token-cache.ts'
import { lab, unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'
import { apply, createNamespace, ensureCrds, eventually, readSecret, startEngine } from './sync-helpers.ts'

function cacheSuite(server: VaultServer): void {
  const kv = unique('kv')
  const transit = unique('transit')
  const approle = unique('approle')
  const dir = mkdtempSync(join(tmpdir(), 'vault-tray-sync-cache-'))
  const file = join(dir, 'sync-lab.cache')
  let operatorNamespace: string
  let namespace: string
  const secretIds: Record<'storage' | 'app', string> = { storage: '', app: '' }
  let running: SyncEngine | undefined

  /** A secret ID good for 50 logins, kept in a Kubernetes Secret for its VaultAuth. */
  async function appRoleLogin(role: 'storage' | 'app', policies: string[], secretNamespace: string): Promise<{ roleId: string }> {
    await server.call('POST', `auth/${approle}/role/${role}`, { token_policies: policies, token_ttl: '1h', secret_id_num_uses: 50 })
    const { data: id } = await server.call<{ data: { role_id: string } }>('GET', `auth/${approle}/role/${role}/role-id`)
    const { data: secret } = await server.call<{ data: { secret_id: string } }>('POST', `auth/${approle}/role/${role}/secret-id`)
    secretIds[role] = secret.secret_id
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `${role}-approle`, namespace: secretNamespace }, data: { id: Buffer.from(secret.secret_id).toString('base64') } } as never)
    return { roleId: id.role_id }
  }

  /** Revokes every token the app's AppRole login made, as an admin would behind the engine's back. */
  async function revokeAppTokens(): Promise<void> {
    const { data } = await server.call<{ data: { keys: string[] } }>('LIST', 'auth/token/accessors')
    for (const accessor of data.keys) {
      const { data: token } = await server.call<{ data: { meta?: Record<string, string> | null; path: string } }>('POST', 'auth/token/lookup-accessor', { accessor })
      if (token.path === `auth/${approle}/login` && token.meta?.role_name === 'app') await server.call('POST', 'auth/token/revoke-accessor', { accessor })
    }
  }

  async function usesLeft(role: 'storage' | 'app'): Promise<number> {
    const { data } = await server.call<{ data: { secret_id_num_uses: number } }>('POST', `auth/${approle}/role/${role}/secret-id/lookup`, { secret_id: secretIds[role] })
    return data.secret_id_num_uses
  }
  const logins = async () => ({ storage: await usesLeft('storage'), app: await usesLeft('app') })

  async function run(options: { cache: boolean }): Promise<{ events: SyncEvent[]; status?: TokenCacheStatus }> {
    const value = unique('v')
    await server.call('POST', `${kv}/data/app`, { data: { password: value } })
    const started = await startEngine([operatorNamespace, namespace], { operatorNamespace, ...(options.cache ? { clientCache: { file, keychain: new SystemKeychain() } } : {}) })
    running = started.engine
    await eventually(async () => (await readSecret(namespace, 'app'))?.password === value, 'the Secret synced with the value of this run')
    await running.stop()
    running = undefined
    const said = started.events.find((event): event is Extract<SyncEvent, { kind: 'client-cache' }> => event.kind === 'client-cache')
    return { events: started.events, status: said?.status }
  }

  beforeAll(async () => {
    process.env.DBUS_SESSION_BUS_ADDRESS = lab.keychain.dbusAddress
    await ensureCrds()
    operatorNamespace = await createNamespace(unique('ops'))
    namespace = await createNamespace(unique('app'))
    await server.call('POST', `sys/mounts/${kv}`, { type: 'kv', options: { version: '2' } })
    await server.call('POST', `sys/mounts/${transit}`, { type: 'transit' })
    await server.call('POST', `${transit}/keys/cache`, { type: 'aes256-gcm96' })
    await server.call('POST', `sys/auth/${approle}`, { type: 'approle' })
    await server.call('PUT', `sys/policies/acl/${kv}`, { policy: `path "${kv}/data/app" { capabilities = ["read"] }` })
    await server.call('PUT', `sys/policies/acl/${transit}`, { policy: `path "${transit}/datakey/plaintext/cache" { capabilities = ["update"] }\npath "${transit}/decrypt/cache" { capabilities = ["update"] }` })
    const storage = await appRoleLogin('storage', [transit], operatorNamespace)
    const app = await appRoleLogin('app', [kv], namespace)
    await apply({ apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: 'default', namespace: operatorNamespace }, spec: { address: server.address } })
    await apply({
      apiVersion: API_VERSION,
      kind: 'VaultAuth',
      metadata: { name: 'transit-auth', namespace: operatorNamespace, labels: { [STORAGE_ENCRYPTION_LABEL]: 'true' } },
      spec: { method: 'appRole', mount: approle, appRole: { roleId: storage.roleId, secretRef: 'storage-approle' }, storageEncryption: { mount: transit, keyName: 'cache' } },
    })
    await apply({ apiVersion: API_VERSION, kind: 'VaultAuth', metadata: { name: 'app', namespace }, spec: { vaultConnectionRef: `${operatorNamespace}/default`, method: 'appRole', mount: approle, appRole: { roleId: app.roleId, secretRef: 'app-approle' } } })
    await apply({ apiVersion: API_VERSION, kind: 'VaultStaticSecret', metadata: { name: 'app', namespace }, spec: { type: 'kv-v2', mount: kv, path: 'app', vaultAuthRef: 'app', refreshAfter: '1s', destination: { name: 'app', create: true } } })
  })

  afterAll(async () => {
    await running?.stop()
  })

  describe('the sync engine with the encrypted client cache', () => {
    it('logs in once per VaultAuth on the first run, and keeps the tokens sealed: no token in the file', async () => {
      const before = await logins()
      const { status } = await run({ cache: true })
      expect(status).toMatchObject({ model: 'direct-encrypted', file, restored: 0 })
      const after = await logins()
      expect(before.app - after.app).toBe(1)
      expect(before.storage - after.storage).toBe(1)
      const sealed = readFileSync(file, 'utf8')
      expect(sealed).not.toMatch(/\bs\.[A-Za-z0-9]{20,}/) // an OpenBao token
      expect(sealed).not.toContain('client_token')
    })

    it('after a restart takes every token up again: no login at all', async () => {
      const before = await logins()
      const { status } = await run({ cache: true })
      expect(status).toMatchObject({ model: 'direct-encrypted', restored: 2 })
      expect(await logins()).toEqual(before)
    })

    it('without the cache, a restart logs in again', async () => {
      const before = await logins()
      await run({ cache: false })
      expect(before.app - (await usesLeft('app'))).toBe(1)
    })

    it('a token revoked while the engine was stopped is replaced by one login, and the rest is kept', async () => {
      await run({ cache: true }) // the file now holds this run's tokens
      await revokeAppTokens()
      const before = await logins()
      await run({ cache: true })
      const after = await logins()
      expect(before.app - after.app).toBe(1)
      expect(after.storage).toBe(before.storage)
    })

    it('a transit key rotated meanwhile still opens the cache: no login', async () => {
      await run({ cache: true })
      await server.call('POST', `${transit}/keys/cache/rotate`)
      const before = await logins()
      const { status } = await run({ cache: true })
      expect(status).toMatchObject({ model: 'direct-encrypted', restored: 2 })
      expect(await logins()).toEqual(before)
    })

    it('a cache file replaced by an older copy: its revoked token is replaced by one login, never used', async () => {
      await run({ cache: true })
      const older = join(dir, 'older-copy.cache')
      copyFileSync(file, older)
      await revokeAppTokens()
      await run({ cache: true }) // logs in again and keeps the new token
      copyFileSync(older, file) // the older copy comes back, with the revoked token in it
      const before = await logins()
      const { events } = await run({ cache: true })
      expect(before.app - (await usesLeft('app'))).toBe(1)
      expect(await usesLeft('storage')).toBe(before.storage)
      const failures = events.filter((event) => event.kind === 'record' && event.record.state === 'failing')
      expect(failures).toEqual([])
    })

    it('a damaged cache file is set aside, said, and the engine logs in and syncs', async () => {
      writeFileSync(file, 'not a cache file\n')
      const before = await logins()
      const { status } = await run({ cache: true })
      expect(status?.model).toBe('direct-encrypted')
      expect(status?.model === 'direct-encrypted' && status.detail).toMatch(/could not be used: .*moved to /)
      const after = await logins()
      expect(before.app - after.app).toBe(1)
    })

    it('a transit key deleted meanwhile: said, one login per VaultAuth, and the Secret still synced', async () => {
      await run({ cache: true })
      await server.call('POST', `${transit}/keys/cache/config`, { deletion_allowed: true })
      await server.call('DELETE', `${transit}/keys/cache`)
      const before = await logins()
      const { status, events } = await run({ cache: true })
      // the old file can never be opened again (set aside), and nothing new can be sealed: said as locked
      expect(status).toMatchObject({ model: 'locked' })
      expect(status?.model === 'locked' && status.reason).toMatch(/^The client cache cannot be sealed with transit \S+\/cache \(.*encryption key not found.*\)\. Check that the key exists .*moved to \S+\.unreadable-/)
      const after = await logins()
      expect(before.app - after.app).toBe(1)
      expect(events.some((event) => event.kind === 'record' && event.record.state === 'synced')).toBe(true)
    })

    it('says why it stays in memory when no VaultAuth is labelled for storage encryption', async () => {
      const { status } = await (async () => {
        const started = await startEngine([namespace], { operatorNamespace: unique('elsewhere'), clientCache: { file: join(dir, 'other.cache'), keychain: new SystemKeychain() } })
        await started.engine.stop()
        return { status: started.events.find((event): event is Extract<SyncEvent, { kind: 'client-cache' }> => event.kind === 'client-cache')?.status }
      })()
      expect(status).toMatchObject({ model: 'memory', reason: expect.stringMatching(/no VaultAuth in .* is labelled cacheStorageEncryption=true/) })
    })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => cacheSuite(server))
