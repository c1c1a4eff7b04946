// Change notifications on both servers: OpenBao has no event stream, so the feed says so and polls KV v2 metadata;
// HashiCorp Vault 1.14 (-experiment events.alpha1) has one, and the feed follows it.
import { createServer, connect, type Server, type Socket } from 'node:net'
import { describe, expect, it, vi } from 'vitest'
import { KvChangeFeed, type ChangeFeedStatus, type KvChange } from '../../main/engine/vault/changes.ts'
import { VaultClient } from '../../main/engine/vault/client.ts'
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

    if (server.name === 'Vault') {
      it('after the stream drops, reconnects and reports what changed in the gap, long before polling would', async () => {
        const relay = await cuttableRelay(new URL(server.address).port)
        const client = new VaultClient({ address: relay.address, skipVerify: false }, { maxRetries: 0 })
        const kv = new KvV2(vaultClient(), 'secret')
        const root = server.rootToken
        const path = unique('gap')
        await kv.write(path, root, { v: 1 })
        const statuses: ChangeFeedStatus[] = []
        const feed = new KvChangeFeed(client, async () => root, { clock, pollIntervalMs: 60_000, maxBackoffMs: 1_000, onStatus: (status) => statuses.push(status) })
        const changes: KvChange[] = []
        feed.watch('secret', path, (change) => changes.push(change))
        try {
          expect(await feed.start()).toEqual({ mode: 'events' })
          await new Promise((resolve) => setTimeout(resolve, 200)) // the watch has read where it starts from
          await relay.cut() // the stream drops, and nothing can reach Vault for now
          await vi.waitFor(() => expect(statuses.at(-1)).toMatchObject({ mode: 'polling', reason: expect.stringMatching(/^the event stream dropped; polling every 60s until it is back$/) }), { timeout: 3_000, interval: 20 })
          await kv.write(path, root, { v: 2 }) // in the gap: no event reaches the feed
          relay.restore()
          await vi.waitFor(() => expect(statuses.at(-1)).toEqual({ mode: 'events' }), { timeout: 5_000, interval: 50 })
          await vi.waitFor(() => expect(changes).toContainEqual({ mount: 'secret', path, version: 2, via: 'polling' }), { timeout: 3_000, interval: 50 })
        } finally {
          feed.stop()
          client.close()
          relay.close()
        }
      })
    }
  })
}

/** A TCP relay to 127.0.0.1:port whose connections can be cut and new ones refused, as a network that goes away. */
async function cuttableRelay(port: string): Promise<{ address: string; cut: () => Promise<void>; restore: () => void; close: () => void }> {
  const sockets = new Set<Socket>()
  let open = true
  const relay: Server = createServer((incoming) => {
    if (!open) return incoming.destroy()
    const outgoing = connect(Number(port), '127.0.0.1')
    for (const socket of [incoming, outgoing]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {})
    }
    incoming.pipe(outgoing).pipe(incoming)
  })
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
  return {
    address: `http://127.0.0.1:${(relay.address() as { port: number }).port}`,
    cut: async () => {
      open = false
      for (const socket of sockets) socket.destroy()
    },
    restore: () => (open = true),
    close: () => {
      for (const socket of sockets) socket.destroy()
      relay.close()
    },
  }
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
