// A Vault that answers from a standby node: a two-node cluster on Raft of each server (OpenBao, HashiCorp Vault with
// its event stream), the second node standby.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VaultClient } from '../../main/engine/vault/client.ts'
import { readVaultHealth } from '../../main/engine/vault/health.ts'
import { KvV2 } from '../../main/engine/vault/kv.ts'
import { systemClock } from '../../main/engine/clock.ts'
import type { ProxyEvent } from '../../main/engine/proxy/events.ts'
import { VaultProxy } from '../../main/engine/proxy/server.ts'
import { freePort, startServer, type RunningServer } from '../lab/process.ts'
import { VAULT_SERVERS, type VaultServer } from './helpers.ts'

function suite(server: VaultServer): void {
  const run = promisify(execFile)
  let runDir: string
  const servers: RunningServer[] = []
  let active: string
  let standby: string
  let rootToken: string

  async function startNode(name: string, leader?: string): Promise<string> {
    const [port, clusterPort] = [await freePort(), await freePort()]
    const dir = join(runDir, name)
    mkdirSync(join(dir, 'raft'), { recursive: true })
    const address = `http://127.0.0.1:${port}`
    writeFileSync(
      join(dir, 'config.hcl'),
      `storage "raft" {
    path = "${join(dir, 'raft')}"
    node_id = "${name}"
    ${leader ? `retry_join { leader_api_addr = "${leader}" }` : ''}
  }
  listener "tcp" {
    address = "127.0.0.1:${port}"
    cluster_address = "127.0.0.1:${clusterPort}"
    tls_disable = true
  }
  api_addr = "${address}"
  cluster_addr = "https://127.0.0.1:${clusterPort}"
  disable_mlock = true
  ${server.name === 'Vault' ? 'experiments = ["events.alpha1"]' : ''}
  `,
    )
    servers.push(
      await startServer({
        name: `${server.name.toLowerCase()}-${name}`,
        command: server.cli,
        args: ['server', `-config=${join(dir, 'config.hcl')}`],
        env: { ...process.env, HOME: dir },
        logFile: join(dir, 'server.log'),
        timeoutMs: 30_000,
        // up, even while sealed and uninitialized
        isReady: async () => (await fetch(`${address}/v1/sys/seal-status`)).ok,
      }),
    )
    return address
  }

  const unseal = (address: string, key: string) => new VaultClient({ address, skipVerify: false }).request({ method: 'PUT', path: 'sys/unseal', body: { key } })

  beforeAll(async () => {
    runDir = mkdtempSync(join(tmpdir(), 'vault-tray-ha-'))
    active = await startNode('node1')
    const { stdout } = await run(server.cli, ['operator', 'init', '-key-shares=1', '-key-threshold=1', '-format=json'], { env: { ...process.env, BAO_ADDR: active, VAULT_ADDR: active, HOME: runDir } })
    const init = JSON.parse(stdout) as { unseal_keys_b64: string[]; root_token: string }
    rootToken = init.root_token
    await unseal(active, init.unseal_keys_b64[0]!)
    standby = await startNode('node2', active)
    // the second node joins the Raft cluster once it is unsealed with the cluster's key
    for (let tries = 0; tries < 100; tries++) {
      const status = (await unseal(standby, init.unseal_keys_b64[0]!).catch(() => ({ sealed: true }))) as { sealed: boolean }
      if (!status.sealed) break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }, 90_000)

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()))
    rmSync(runDir, { recursive: true, force: true })
  })

  describe('a standby node', () => {
    it('is reported as standby, and serves reads and writes through the active node', async () => {
      await expect.poll(async () => readVaultHealth({ address: standby, skipVerify: false }), { timeout: 30_000, interval: 250 }).toMatchObject({ reachable: true, sealed: false, standby: true })
      expect(await readVaultHealth({ address: active, skipVerify: false })).toMatchObject({ standby: false })

      const client = new VaultClient({ address: active, skipVerify: false })
      await client.request({ method: 'POST', path: 'sys/mounts/secret', token: rootToken, body: { type: 'kv', options: { version: '2' } } })
      const viaStandby = new KvV2(new VaultClient({ address: standby, skipVerify: false }), 'secret')
      await expect.poll(() => viaStandby.write('app', rootToken, { written: 'via standby' }).then(() => true, () => false), { timeout: 15_000, interval: 250 }).toBe(true)
      expect((await new KvV2(client, 'secret').read('app', rootToken)).data).toEqual({ written: 'via standby' })
      expect((await viaStandby.read('app', rootToken)).data).toEqual({ written: 'via standby' })
    })

    it('behind the proxy, never leaves a stale answer in the cache when the change is made on the active node', async () => {
      const statuses: ProxyEvent[] = []
      const proxy = new VaultProxy({ upstream: { address: standby, skipVerify: false }, clock: systemClock, pollIntervalMs: 1_000, tokenCheckMs: 100, eventsToken: async () => rootToken, onEvent: (event) => statuses.push(event) })
      const address = await proxy.start()
      try {
        const read = async () => ((await (await fetch(`${address}/v1/secret/data/app`, { headers: { 'X-Vault-Token': rootToken } })).json()) as { data: { data: unknown } }).data.data
        await new KvV2(new VaultClient({ address: active, skipVerify: false }), 'secret').write('app', rootToken, { v: 'before' })
        await expect.poll(read, { timeout: 5_000, interval: 100 }).toEqual({ v: 'before' })
        await new KvV2(new VaultClient({ address: active, skipVerify: false }), 'secret').write('app', rootToken, { v: 'after' })
        // neither server serves events from a standby, and the proxy says why it polls instead
        const why = server.name === 'Vault' ? /^http:\/\/\S+ is a standby node, and Vault 1\.14\.2 serves its event stream on the active node only \(HTTP 500\): point VAULT_ADDR at the active node/ : /has no event stream \(HTTP 404/
        expect(statuses.find((event) => event.kind === 'freshness')).toMatchObject({ status: { mode: 'polling', reason: expect.stringMatching(why) } })
        await expect.poll(read, { timeout: 5_000, interval: 100 }).toEqual({ v: 'after' })
      } finally {
        await proxy.stop()
      }
    })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
