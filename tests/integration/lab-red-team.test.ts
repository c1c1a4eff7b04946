// The one-click lab as an attacker on the same machine sees it (another local user, or a web page reaching
// 127.0.0.1 by DNS rebinding): a real `lab up`, then each way in is tried and must be refused. etcd has no
// authentication of its own, so it must not be reachable on any port at all.
import { readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { labDown } from '../../main/engine/lab/lab.ts'
import { TUTORIAL } from '../../main/engine/lab/tutorial.ts'
import { readLabState, useTestKeychain, vaultTray } from './lab-helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'vault-tray-lab-red-'))

beforeAll(async () => {
  useTestKeychain()
  const up = await vaultTray(['lab', 'up', '--dir', dir])
  if (up.code !== 0) throw new Error(`lab up failed:\n${up.stdout}${up.stderr}`)
}, 180_000)

afterAll(async () => {
  await labDown({ dir })
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

/** The TCP ports a process listens on, found through its socket inodes in /proc/net/tcp and tcp6. */
function tcpListeners(pid: number): number[] {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`)
      .map((fd) => /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1])
      .filter((inode): inode is string => inode !== undefined),
  )
  const rows = (readFileSync('/proc/net/tcp', 'utf8') + readFileSync('/proc/net/tcp6', 'utf8')).split('\n')
  return rows
    .map((row) => row.trim().split(/\s+/))
    .filter((fields) => fields[3] === '0A' && inodes.has(fields[9]!)) // 0A: LISTEN
    .map((fields) => parseInt(fields[1]!.split(':')[1]!, 16))
}

/** What the apiserver answers a request with no credentials (an attacker would not check its certificate). */
function anonymousStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { rejectUnauthorized: false }, (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
      .on('error', reject)
      .end()
  })
}

describe('the lab, attacked from the same machine', () => {
  it('etcd listens on no TCP port: only a Unix socket inside the lab directory, which only its owner can enter', () => {
    const etcd = readLabState(dir).servers.etcd!
    expect(tcpListeners(etcd.pid)).toEqual([])
    expect(etcd.socket).toBe(join(dir, 'etcd', 'client.sock:0'))
    expect(statSync(etcd.socket!).isSocket()).toBe(true)
    // run as root, the lab lets PostgreSQL's service user pass through its directory (0711), never into etcd's
    expect(statSync(dir).mode & 0o066).toBe(0)
    expect(statSync(join(dir, 'etcd')).mode & 0o077).toBe(0)
  })

  it('the apiserver gives an anonymous caller none of the synced Secrets', async () => {
    const port = readLabState(dir).servers['kube-apiserver']!.port!
    const status = await anonymousStatus(`https://127.0.0.1:${port}/api/v1/namespaces/${TUTORIAL.static.namespace}/secrets/${TUTORIAL.static.destination}`)
    expect([401, 403]).toContain(status)
  })

  it('the keys and tokens the control plane reads are readable by their owner only', () => {
    for (const file of ['sa.key', 'tokens.csv']) expect(statSync(join(dir, 'kube', file)).mode & 0o077, file).toBe(0)
    expect(statSync(join(dir, 'kube', 'kubeconfig')).mode & 0o077).toBe(0)
  })

  it('PostgreSQL refuses its superuser without the password', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: readLabState(dir).servers.postgres!.port!, user: 'postgres', password: 'guessed', database: 'postgres', connectionTimeoutMillis: 5_000 })
    await expect(client.connect()).rejects.toThrow(/password authentication failed/)
    await client.end().catch(() => {})
  })
})
