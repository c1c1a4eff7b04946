// Change notifications on both servers: OpenBao has no event stream, so the feed says so and polls KV v2 metadata;
// HashiCorp Vault 1.14 (-experiment events.alpha1) has one, and the feed follows it.
import { describe, expect, it, vi } from 'vitest'
import { KvChangeFeed, type ChangeFeedStatus, type KvChange } from '../../main/engine/vault/changes.ts'
import { KvV2 } from '../../main/engine/vault/kv.ts'
import { clock, on, unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'

function suite(server: VaultServer): void {
  const { vaultClient } = on(server)
  describe('the KV change feed', () => {
    const events = server.name === 'Vault'
    it(`${events ? 'follows the event stream' : 'falls back to polling on a server without events, says why,'} and reports writes and deletes made elsewhere`, async () => {
      const client = vaultClient()
      const kv = new KvV2(client, 'secret')
      const root = server.rootToken
      const path = unique('watched')
      await kv.write(path, root, { v: 1 })

      const statuses: ChangeFeedStatus[] = []
      const feed = new KvChangeFeed(client, async () => root, { clock, pollIntervalMs: 200, onStatus: (status) => statuses.push(status) })
      const changes: KvChange[] = []
      feed.watch('secret', path, (change) => changes.push(change))
      const other: KvChange[] = []
      feed.watch('secret', unique('untouched'), (change) => other.push(change))

      const via = events ? 'events' : 'polling'
      expect(await feed.start()).toEqual(events ? { mode: 'events' } : { mode: 'polling', reason: expect.stringMatching(/has no event stream \(HTTP 404 from sys\/events\/subscribe\).*; polling every 0\.2s$/) })
      await kv.write(path, root, { v: 2 })
      await vi.waitFor(() => expect(changes).toEqual([{ mount: 'secret', path, version: 2, via }]), { timeout: 5_000, interval: 50 })

      await kv.deleteMetadata(path, root)
      await vi.waitFor(() => expect(changes.at(-1)).toEqual({ mount: 'secret', path, version: undefined, via }), { timeout: 5_000, interval: 50 })
      feed.stop()
      expect(other).toEqual([])
      expect(statuses).toHaveLength(1)
    })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
