// Tokens and leases in real time against the lab's OpenBao and PostgreSQL, with TTLs of a few seconds.
import { describe, expect, it, vi } from 'vitest'
import { login, lookupSelf, type AuthConfig } from '../../main/engine/vault/auth.ts'
import { LeaseManager, leaseKey, type LeaseEvent } from '../../main/engine/vault/leases.ts'
import { TokenManager, type TokenEvent } from '../../main/engine/vault/token-manager.ts'
import { canLogIn, clock, on, unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'

function suite(server: VaultServer): void {
  const { databaseRole, vaultClient } = on(server)
  const client = vaultClient()

  async function approle(tokenSettings: Record<string, unknown>): Promise<AuthConfig> {
    const mount = unique('approle')
    await server.call('POST', `sys/auth/${mount}`, { type: 'approle' })
    await server.call('POST', `auth/${mount}/role/app`, { token_policies: ['default'], bind_secret_id: false, secret_id_bound_cidrs: ['127.0.0.1/32'], ...tokenSettings })
    const { data } = await server.call<{ data: { role_id: string } }>('GET', `auth/${mount}/role/app/role-id`)
    return { method: 'approle', mount, roleId: data.role_id }
  }

  describe('the token manager', () => {
    it('renews at a share of the TTL and logs in again once the max TTL stops renewals', async () => {
      const events: TokenEvent[] = []
      const manager = new TokenManager(client, await approle({ token_ttl: '2s', token_max_ttl: '5s' }), { clock, renewalPercent: 50, onEvent: (event) => events.push(event) })
      const first = await manager.token()

      await vi.waitFor(() => expect(events.filter((event) => event.kind === 'issued')).toHaveLength(2), { timeout: 12_000, interval: 100 })
      manager.stop()
      const kinds = events.map((event) => event.kind)
      expect(kinds[0]).toBe('issued')
      expect(kinds).toContain('renewed')
      const [firstAccessor, secondAccessor] = events.flatMap((event) => (event.kind === 'issued' ? [event.accessor] : []))
      expect(secondAccessor).not.toBe(firstAccessor)
      // the new token works; the first one was never extended past its max TTL
      await expect(lookupSelf(client, (await manager.token()).clientToken, clock)).resolves.toMatchObject({ method: 'token' })
      expect(first.clientToken).not.toBe((await manager.token()).clientToken)
    })

    it('keeps a periodic token alive by renewal alone', async () => {
      const events: TokenEvent[] = []
      const manager = new TokenManager(client, await approle({ token_period: '2s' }), { clock, renewalPercent: 50, onEvent: (event) => events.push(event) })
      const token = await manager.token()
      expect(token.ttlSeconds).toBe(2)

      await vi.waitFor(() => expect(events.filter((event) => event.kind === 'renewed').length).toBeGreaterThanOrEqual(3), { timeout: 10_000, interval: 100 })
      manager.stop()
      expect(events.filter((event) => event.kind === 'issued')).toHaveLength(1)
      await expect(lookupSelf(client, token.clientToken, clock)).resolves.toMatchObject({ accessor: token.accessor })
    })

    it('logs in again when its token was revoked behind its back', async () => {
      const manager = new TokenManager(client, await approle({ token_ttl: '5m' }), { clock })
      const first = await manager.token()
      await server.call('POST', 'auth/token/revoke-accessor', { accessor: first.accessor })

      const second = await manager.renew()
      manager.stop()
      expect(second.accessor).not.toBe(first.accessor)
      await expect(lookupSelf(client, second.clientToken, clock)).resolves.toBeTruthy()
    })

    it('revokes its token on sign-out', async () => {
      const manager = new TokenManager(client, await approle({ token_ttl: '5m' }), { clock })
      const token = await manager.token()
      await manager.signOut()
      await expect(lookupSelf(client, token.clientToken, clock)).rejects.toMatchObject({ status: 403 })
    })

    it('says plainly that a given token cannot be replaced once it stops renewing', async () => {
      const { auth } = await server.call<{ auth: { client_token: string } }>('POST', 'auth/token/create', { policies: ['default'], ttl: '5m', renewable: false })
      const events: TokenEvent[] = []
      const manager = new TokenManager(client, { method: 'token', token: auth.client_token }, { clock, onEvent: (event) => events.push(event) })
      await manager.token()
      await expect(manager.renew()).rejects.toThrow(/cannot be replaced automatically: provide a new token/)
      manager.stop()
      expect(events.at(-1)).toMatchObject({ kind: 'error' })
    })
  })

  describe('the lease manager', () => {
    const root = { current: async () => ({ clientToken: server.rootToken, accessor: 'root' }) }

    it('hands out the same credentials while valid, renews them, and fetches new ones in time at the max TTL', async () => {
      const path = await databaseRole({ default_ttl: '2s', max_ttl: '5s' })
      const events: LeaseEvent[] = []
      const leases = new LeaseManager(client, root, { clock, renewalPercent: 50, onEvent: (event) => events.push(event) })
      const first = await leases.acquire({ path })
      expect((await leases.acquire({ path })).data.username).toBe(first.data.username)

      await vi.waitFor(() => expect(events.map((event) => event.kind)).toContain('rotated'), { timeout: 12_000, interval: 100 })
      const rotated = await leases.acquire({ path })
      leases.stop()
      const kinds = events.map((event) => event.kind)
      const story = kinds.join(' → ')
      expect(kinds, story).toEqual(expect.arrayContaining(['issued', 'renewed', 'rotated']))
      // the max TTL showed as a shorter grant (or, when renewed at its very end, a refused renewal), and
      // the new credentials came while the old lease was still alive, not after losing it
      expect(['truncated', 'renew-failed'], story).toContain(kinds[kinds.indexOf('rotated') - 1])
      expect(kinds, story).not.toContain('lost')
      expect(rotated.data.username).not.toBe(first.data.username)
      expect(await canLogIn(rotated.data)).toBe(true)
      // the lease id is never published whole
      for (const event of events) expect(event.leaseId).not.toContain(first.leaseId.split('/').pop())
    })

    it('fetches new credentials when the lease was revoked behind its back, and revokes on request', async () => {
      const path = await databaseRole({ default_ttl: '5m', max_ttl: '10m' })
      const events: LeaseEvent[] = []
      const leases = new LeaseManager(client, root, { clock, onEvent: (event) => events.push(event) })
      const first = await leases.acquire({ path })
      await server.call('PUT', 'sys/leases/revoke', { lease_id: first.leaseId })
      expect(await canLogIn(first.data)).toBe(false)

      const replaced = await leases.renew(leaseKey({ path }))
      expect(events.map((event) => event.kind)).toContain('lost')
      expect(replaced.data.username).not.toBe(first.data.username)
      expect(await canLogIn(replaced.data)).toBe(true)

      await leases.revoke(leaseKey({ path }))
      expect(await canLogIn(replaced.data)).toBe(false)
      expect(leases.snapshot()).toEqual([])
      leases.stop()
    })

    it('resumes leases kept from an earlier run without creating a database user', async () => {
      const path = await databaseRole({ default_ttl: '5m', max_ttl: '10m' })
      const before = new LeaseManager(client, root, { clock })
      const issued = await before.acquire({ path })
      before.stop()

      const after = new LeaseManager(client, root, { clock })
      expect(await after.restore(before.snapshot())).toEqual({ resumed: 1, dropped: 0 })
      expect((await after.acquire({ path })).data.username).toBe(issued.data.username)
      after.stop()
    })
  })

  it('a login to a mount that does not exist says which path failed', async () => {
    await expect(login(client, { method: 'userpass', mount: 'nowhere', username: 'a', password: 'b' }, clock)).rejects.toThrow(/POST auth\/nowhere\/login\/a .*failed \((400|404|403)\)/)
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
