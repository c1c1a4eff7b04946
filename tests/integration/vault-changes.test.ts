// Change notifications on both servers: OpenBao has no event stream, so the feed says so and polls KV v2 metadata;
// HashiCorp Vault 1.14 (-experiment events.alpha1) has one, and the feed follows it, and keeps seeing every change
// when the stream fails: a dropped connection, a token that may not subscribe, a server sealed and unsealed or
// restarted, a message it cannot read.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer as createHttpServer, request as httpRequest } from 'node:http'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { KvChangeFeed, type ChangeFeedStatus, type KvChange } from '../../main/engine/vault/changes.ts'
import { VaultClient } from '../../main/engine/vault/client.ts'
import { KvV2 } from '../../main/engine/vault/kv.ts'
import { startVault } from '../lab/servers/openbao.ts'
import { clock, lab, on, tokenWithPolicy, unique, VAULT, VAULT_SERVERS, type VaultServer } from './helpers.ts'

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

/** A change feed on a Vault of the test's own (root token, a minute between polls), with what it said and saw. */
function feedOn(info: { address: string; rootToken: string }) {
  const client = new VaultClient({ address: info.address, skipVerify: false }, { maxRetries: 0 })
  const root = info.rootToken
  const statuses: ChangeFeedStatus[] = []
  const feed = new KvChangeFeed(client, async () => root, { clock, pollIntervalMs: 60_000, maxBackoffMs: 1_000, onStatus: (status) => statuses.push(status) })
  return { client, root, kv: new KvV2(client, 'secret'), statuses, feed, changes: [] as KvChange[] }
}

describe('Vault: the change feed when the stream fails', () => {
  it('with a token that may not subscribe: says so (HTTP 403) and polls, and still sees the change', async () => {
    const path = unique('no-subscribe')
    const token = await tokenWithPolicy(unique('metadata-only'), `path "secret/metadata/${path}" { capabilities = ["read"] }`, {}, VAULT)
    const kv = new KvV2(on(VAULT).vaultClient(), 'secret')
    await kv.write(path, VAULT.rootToken, { v: 1 })
    const feed = new KvChangeFeed(on(VAULT).vaultClient(), async () => token, { clock, pollIntervalMs: 200 })
    const changes: KvChange[] = []
    feed.watch('secret', path, (change) => changes.push(change))
    try {
      expect(await feed.start()).toEqual({ mode: 'polling', reason: expect.stringMatching(/^the event stream refused the subscription \(HTTP 403\): .*the token may not "read" and "subscribe" on sys\/events\/subscribe\/kv\*; polling every 0\.2s$/) })
      await new Promise((resolve) => setTimeout(resolve, 300)) // the watch has read where it starts from
      await kv.write(path, VAULT.rootToken, { v: 2 })
      await vi.waitFor(() => expect(changes).toEqual([{ mount: 'secret', path, version: 2, via: 'polling' }]), { timeout: 5_000, interval: 50 })
    } finally {
      feed.stop()
    }
  })

  it('sealed and unsealed: the stream stays open through it (Vault 1.14 keeps it), and the next change arrives by event', { timeout: 60_000 }, async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'vault-tray-events-seal-'))
    const own = await startVault(lab.binaries.vault, runDir, 30_000, new AbortController().signal)
    const { client, root, kv, statuses, feed, changes } = feedOn(own.info)
    try {
      await kv.write('sealed', root, { v: 1 })
      feed.watch('secret', 'sealed', (change) => changes.push(change))
      expect(await feed.start()).toEqual({ mode: 'events' })
      await client.request({ method: 'PUT', path: 'sys/seal', token: root })
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      await client.request({ method: 'PUT', path: 'sys/unseal', body: { key: own.info.unsealKey } })
      await kv.write('sealed', root, { v: 2 })
      await vi.waitFor(() => expect(changes).toEqual([{ mount: 'secret', path: 'sealed', version: 2, via: 'events' }]), { timeout: 5_000, interval: 50 })
      expect(statuses).toEqual([{ mode: 'events' }])
    } finally {
      feed.stop()
      client.close()
      await own.server.stop()
      rmSync(runDir, { recursive: true, force: true })
    }
  })

  it('restarted mid-stream: polls while it is away, is back on the new stream at once, and reports what the restart lost', { timeout: 90_000 }, async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'vault-tray-events-restart-'))
    const signal = new AbortController().signal
    let own = await startVault(lab.binaries.vault, join(runDir, 'first'), 30_000, signal)
    const { client, root, kv, statuses, feed, changes } = feedOn(own.info)
    try {
      await kv.write('kept', root, { v: 1 })
      feed.watch('secret', 'kept', (change) => changes.push(change))
      expect(await feed.start()).toEqual({ mode: 'events' })
      await new Promise((resolve) => setTimeout(resolve, 200)) // the watch has read where it starts from
      await own.server.stop()
      await vi.waitFor(() => expect(statuses.at(-1)).toEqual({ mode: 'polling', reason: 'the event stream dropped; polling every 60s until it is back' }), { timeout: 5_000, interval: 20 })
      // a dev server keeps its data in memory: the one started in its place has no secret/kept
      own = await startVault(lab.binaries.vault, join(runDir, 'again'), 30_000, signal, own.info)
      await vi.waitFor(() => expect(statuses.at(-1)).toEqual({ mode: 'events' }), { timeout: 15_000, interval: 50 })
      await vi.waitFor(() => expect(changes).toEqual([{ mount: 'secret', path: 'kept', version: undefined, via: 'polling' }]), { timeout: 5_000, interval: 50 })
      await kv.write('kept', root, { v: 1 })
      await vi.waitFor(() => expect(changes.at(-1)).toEqual({ mount: 'secret', path: 'kept', version: 1, via: 'events' }), { timeout: 5_000, interval: 50 })
    } finally {
      feed.stop()
      client.close()
      await own.server.stop()
      rmSync(runDir, { recursive: true, force: true })
    }
  })

  it('a message it cannot read, in place of a real event: says so once and reads every watched secret again, so the change is seen', async () => {
    const relay = await garblingRelay(new URL(VAULT.address).port)
    const client = new VaultClient({ address: relay.address, skipVerify: false }, { maxRetries: 0 })
    const kv = new KvV2(on(VAULT).vaultClient(), 'secret')
    const root = VAULT.rootToken
    const path = unique('garbled')
    await kv.write(path, root, { v: 1 })
    const problems: string[] = []
    // polling alone would take a minute: a change seen sooner was found by the re-read
    const feed = new KvChangeFeed(client, async () => root, { clock, pollIntervalMs: 60_000, onProblem: (problem) => problems.push(problem) })
    const changes: KvChange[] = []
    feed.watch('secret', path, (change) => changes.push(change))
    try {
      expect(await feed.start()).toEqual({ mode: 'events' })
      await new Promise((resolve) => setTimeout(resolve, 200)) // the watch has read where it starts from
      relay.garbleNext()
      await kv.write(path, root, { v: 2 })
      await vi.waitFor(() => expect(changes).toEqual([{ mount: 'secret', path, version: 2, via: 'polling' }]), { timeout: 5_000, interval: 50 })
      relay.garbleNext()
      await kv.write(path, root, { v: 3 })
      await vi.waitFor(() => expect(changes.at(-1)).toEqual({ mount: 'secret', path, version: 3, via: 'polling' }), { timeout: 5_000, interval: 50 })
      expect(problems).toEqual([`an event message from ${relay.address} named no KV secret that Vault Tray can read; every watched secret was read again instead (and is, at each such message)`])
      expect(relay.garbled()).toBe(2)
    } finally {
      feed.stop()
      client.close()
      await relay.close()
    }
  })
})

/**
 * A relay to the Vault at 127.0.0.1:port that passes requests and the event stream through, except that it can
 * put a message no one can read in place of the next real event.
 */
async function garblingRelay(port: string): Promise<{ address: string; garbleNext: () => void; garbled: () => number; close: () => Promise<void> }> {
  let garble = false
  let garbled = 0
  const server = createHttpServer((incoming, outgoing) => {
    const upstream = httpRequest({ host: '127.0.0.1', port: Number(port), method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(outgoing)
    })
    upstream.on('error', () => outgoing.destroy())
    incoming.pipe(upstream)
  })
  const streams = new WebSocketServer({ server })
  streams.on('connection', (downstream, request) => {
    const upstream = new WebSocket(`ws://127.0.0.1:${port}${request.url}`, { headers: { 'X-Vault-Token': String(request.headers['x-vault-token'] ?? '') } })
    upstream.on('message', (data) => {
      if (!garble) return downstream.send(data.toString())
      garble = false
      garbled++
      downstream.send('{"data": {"event_type": "kv-v2/data-write", "event": {')
    })
    upstream.on('close', () => downstream.close())
    downstream.on('close', () => upstream.close())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    address: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    garbleNext: () => (garble = true),
    garbled: () => garbled,
    close: async () => {
      for (const client of streams.clients) client.terminate()
      streams.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
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
