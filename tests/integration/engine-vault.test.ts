// The engine publishes its Vault session's token and lease changes on its bus, without a secret in them.
import { describe, expect, it } from 'vitest'
import { Engine } from '../../main/engine/engine.ts'
import type { EngineEvents } from '../../main/engine/engine-events.ts'
import { createLogger } from '../../main/engine/telemetry/log.ts'
import { on, VAULT_SERVERS, type VaultServer } from './helpers.ts'

function suite(server: VaultServer): void {
  const { databaseRole } = on(server)
  it('publishes token and lease events with masked ids and no secret values', async () => {
    const creds = await databaseRole({ default_ttl: '10m', max_ttl: '1h' })
    const engine = new Engine({ vault: { address: server.address, skipVerify: false }, kube: undefined, healthIntervalMs: 60_000 })
    const events: EngineEvents['vault'][] = []
    engine.events.on('vault', (event) => events.push(event))

    const session = engine.openVaultSession({ auth: { method: 'token', token: server.rootToken }, cache: { file: '/nonexistent/in-memory', logger: createLogger({ level: 'silent' }) } })
    await session.start()
    const lease = await session.leases.acquire({ path: creds })
    await session.leases.revoke(lease.key)
    await session.stop()

    // nothing else happened in between: no early renewal, no second set of credentials
    expect(events.map((e) => `${e.source}:${e.event.kind}`)).toEqual(['token:issued', 'lease:issued', 'lease:revoked'])
    expect(events[1]).toMatchObject({ source: 'lease', event: { path: creds, ttlSeconds: 600, leaseId: expect.stringMatching(new RegExp(`^${creds}/.{4}….{4}$`)) } })
    const published = JSON.stringify(events)
    for (const secret of [server.rootToken, String(lease.data.password), String(lease.data.username), lease.leaseId]) expect(published).not.toContain(secret)
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
