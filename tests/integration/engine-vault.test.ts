// The engine publishes its Vault session's token and lease changes on its bus, without a secret in them.
import { expect, it } from 'vitest'
import { Engine, type EngineEvents } from '../../main/engine/engine.ts'
import { createLogger } from '../../main/engine/telemetry/log.ts'
import { databaseRole, lab } from './helpers.ts'

it('publishes token and lease events with masked ids and no secret values', async () => {
  const creds = await databaseRole({ default_ttl: '10m', max_ttl: '1h' })
  const engine = new Engine({ vault: { address: lab.openbao.address, skipVerify: false }, kube: undefined, healthIntervalMs: 60_000 })
  const events: EngineEvents['vault'][] = []
  engine.events.on('vault', (event) => events.push(event))

  const session = engine.openVaultSession({ auth: { method: 'token', token: lab.openbao.rootToken }, cache: { file: '/nonexistent/in-memory', logger: createLogger({ level: 'silent' }) } })
  await session.start()
  const lease = await session.leases.acquire({ path: creds })
  await session.leases.revoke(lease.key)
  await session.stop()

  // nothing else happened in between: no early renewal, no second set of credentials
  expect(events.map((e) => `${e.source}:${e.event.kind}`)).toEqual(['token:issued', 'lease:issued', 'lease:revoked'])
  expect(events[1]).toMatchObject({ source: 'lease', event: { path: creds, ttlSeconds: 600, leaseId: expect.stringMatching(new RegExp(`^${creds}/.{4}….{4}$`)) } })
  const published = JSON.stringify(events)
  for (const secret of [lab.openbao.rootToken, String(lease.data.password), String(lease.data.username), lease.leaseId]) expect(published).not.toContain(secret)
})
