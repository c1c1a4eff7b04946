// The one-click lab when things go wrong: a missing binary, a port in use, a server that dies halfway through
// `up`, a port taken while the lab was down, and Ctrl-C during `up`. Real servers of the lab's own throughout.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { labDown, labStatus, labUp } from '../../main/engine/lab/lab.ts'
import { freePort } from '../../main/engine/lab/process.ts'
import { LabPreflightError } from '../../main/engine/lab/providers.ts'
import type { StepOutcome } from '../../main/engine/lab/runner.ts'
import { TUTORIAL } from '../../main/engine/lab/tutorial.ts'
import { allPorts, labKube, labSecrets, leftovers, logsIn, readLabState, readSecretData, useTestKeychain, vaultTray } from './lab-helpers.ts'

const scratch: string[] = []
const scratchDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'vault-tray-lab-fault-'))
  scratch.push(dir)
  return dir
}
const blockers: Server[] = []
async function occupy(port: number): Promise<Server> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve))
  blockers.push(server)
  return server
}
const outcome = (outcomes: StepOutcome[], id: string) => outcomes.find((entry) => entry.id === id)

beforeAll(() => useTestKeychain())
afterAll(async () => {
  for (const server of blockers) server.close()
  for (const dir of scratch) if (existsSync(dir)) await labDown({ dir })
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true })
}, 120_000)

describe('before anything starts', () => {
  it('names each missing binary and how to get it, and starts nothing', async () => {
    const dir = join(scratchDir(), 'lab')
    const nowhere = scratchDir()
    const error = await labUp({ dir, env: { PATH: nowhere, HOME: nowhere, XDG_CACHE_HOME: nowhere } }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(LabPreflightError)
    const message = (error as Error).message
    expect(message).toMatch(/^The lab cannot start:\n/)
    expect(message).toContain(`Vault: neither \`bao\` nor \`vault\` is on PATH, and there is no OpenBao in ${nowhere}/vault-tray. Install OpenBao (https://openbao.org/docs/install/) or Vault`)
    expect(message).toContain('or run `npm run lab -- install` (puts OpenBao in that cache)')
    expect(message).toContain(`Kubernetes: the lab's own control plane needs etcd and kube-apiserver, and etcd and kube-apiserver are not on PATH or in ${nowhere}/vault-tray/bin. Build both with \`npm run lab -- install\` (needs Go)`)
    expect(existsSync(dir)).toBe(false)

    const wrongBin = await labUp({ dir, vaultBin: join(nowhere, 'bao') }).catch((e: unknown) => e)
    expect((wrongBin as Error).message).toContain(`Vault: ${join(nowhere, 'bao')} (--vault-bin) does not exist. Point --vault-bin at a bao or vault binary.`)
    expect(existsSync(dir)).toBe(false)
  })

  it('says which port asked for is in use, and starts nothing', async () => {
    const dir = join(scratchDir(), 'lab')
    const port = await freePort()
    await occupy(port)
    const error = await labUp({ dir, ports: { vault: port } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LabPreflightError)
    expect((error as Error).message).toContain(`127.0.0.1:${port}, asked for with --vault-port, is in use by another program. Free it, or choose another port with --vault-port`)
    expect(existsSync(dir)).toBe(false)
  })
})

describe('a lab interrupted by faults', () => {
  const dir = scratchDir()

  it('when Vault dies halfway through `up`, says which steps failed and where they logged; the next `up` finishes the job', async () => {
    let killed = 0
    const first = await labUp({
      dir,
      onEvent: (event) => {
        // a real fault at a known moment: the server is killed, not mocked
        if (event.kind === 'done' && event.id === 'static') {
          killed = readLabState(dir).servers.vault!.pid
          process.kill(killed, 'SIGKILL')
        }
      },
    })
    expect(killed).toBeGreaterThan(0)
    expect(first.ok).toBe(false)
    const failed = first.outcomes.filter((entry) => entry.kind === 'failed')
    expect(failed.length).toBeGreaterThan(0)
    for (const entry of failed) {
      // refused, or dropped when the request was under way as Vault died
      expect(entry.kind === 'failed' && entry.error).toMatch(/Vault at http:\/\/127\.0\.0\.1:\d+ (refused the connection|could not be reached)/)
      expect(entry.kind === 'failed' && existsSync(entry.logs.at(-1)!)).toBe(true)
    }
    expect(outcome(first.outcomes, 'sync')?.kind).not.toBe('done')

    const status = await labStatus({ dir })
    expect(status.healthy).toBe(false)
    expect(outcome(status.outcomes, 'vault')).toMatchObject({ kind: 'done', changes: [`start vault (it ran as pid ${killed}, which is gone)`] })

    const second = await labUp({ dir })
    expect(second.ok, JSON.stringify(second.outcomes, null, 1)).toBe(true)
    expect(outcome(second.outcomes, 'vault')).toMatchObject({ changes: [expect.stringMatching(/^started vault \(pid \d+\) on 127\.0\.0\.1:\d+$/), 'unsealed with the key from the OS keychain'] })
    const api = labKube(dir)
    try {
      expect(await logsIn(dir, await readSecretData(api, TUTORIAL.dynamic.namespace, TUTORIAL.dynamic.destination))).toBe(true)
      expect(await readSecretData(api, TUTORIAL.static.namespace, TUTORIAL.static.destination)).toMatchObject({ username: 'static-user' })
    } finally {
      api.close()
    }
  }, 180_000)

  it('when its Vault port was taken while Vault was down, moves to another port and points everything there', async () => {
    const before = readLabState(dir).servers.vault!
    process.kill(before.pid, 'SIGKILL')
    await new Promise((resolve) => setTimeout(resolve, 200))
    await occupy(before.port!)

    const result = await labUp({ dir })
    expect(result.ok, JSON.stringify(result.outcomes, null, 1)).toBe(true)
    const after = readLabState(dir).servers.vault!
    expect(after.port).not.toBe(before.port)
    expect(outcome(result.outcomes, 'vault')).toMatchObject({ notes: [`127.0.0.1:${before.port}, where the lab's vault listened, is taken by another program; it now listens on 127.0.0.1:${after.port}`] })
    expect(outcome(result.outcomes, 'resources')).toMatchObject({ changes: ['updated VaultConnection vault/vault-connection'] })
    expect(result.vaultAddress).toBe(`http://127.0.0.1:${after.port}`)
    const api = labKube(dir)
    try {
      const connection = await api.get<{ spec: { address: string } }>(`/apis/secrets.hashicorp.com/v1beta1/namespaces/vault/vaultconnections/${TUTORIAL.connection}`)
      expect(connection.spec.address).toBe(`http://127.0.0.1:${after.port}`)
    } finally {
      api.close()
    }
  }, 120_000)

  it('after a reboot (every server gone), starts them again on their ports, unseals Vault, and changes nothing else', async () => {
    const before = readLabState(dir).servers
    for (const record of Object.values(before)) process.kill(record.pid, 'SIGKILL')
    await new Promise((resolve) => setTimeout(resolve, 300))

    const result = await labUp({ dir })
    expect(result.ok, JSON.stringify(result.outcomes, null, 1)).toBe(true)
    const after = readLabState(dir).servers
    for (const name of ['vault', 'etcd', 'kube-apiserver', 'postgres'] as const) {
      expect(after[name]!.port).toBe(before[name]!.port)
      expect(after[name]!.pid).not.toBe(before[name]!.pid)
    }
    expect(outcome(result.outcomes, 'vault')).toMatchObject({ changes: [`started vault (pid ${after.vault!.pid}) on 127.0.0.1:${after.vault!.port}`, 'unsealed with the key from the OS keychain'] })
    // the data survived: everything in Vault, the cluster and PostgreSQL is as it was, the credentials still log in
    for (const id of ['kube-base', 'crds', 'kubernetes-auth', 'static', 'database', 'transit', 'resources', 'sync']) expect(outcome(result.outcomes, id)).toMatchObject({ kind: 'done', changes: [] })
  }, 120_000)
})

describe('Ctrl-C during `lab up`', () => {
  it('stops at once, says how to go on, and leaves nothing that `lab down` cannot remove', async () => {
    const dir = scratchDir()
    let interrupted = false
    const run = await vaultTray(['lab', 'up', '--dir', dir], {
      onStart: (child) => {
        let output = ''
        child.stdout!.on('data', (chunk: Buffer) => {
          output += chunk.toString()
          // servers are starting: etcd and Vault come up first, the apiserver and PostgreSQL take longer
          if (!interrupted && output.includes('… PostgreSQL up')) {
            interrupted = true
            setTimeout(() => child.kill('SIGINT'), 1_000)
          }
        })
      },
    })
    expect(interrupted).toBe(true)
    expect(run.code, run.stdout + run.stderr).toBe(130)
    expect(run.stdout).toContain('Stopping after the operations under way (Ctrl-C again to quit at once)…')
    expect(run.stdout).toMatch(/Interrupted after \d+\.\ds\. Whatever runs is recorded in .*state\.json: `vault-tray lab up` finishes the job, `vault-tray lab down` removes it all\./)
    const state = readLabState(dir)
    expect(Object.keys(state.servers).length).toBeGreaterThan(0)
    expect((await labStatus({ dir })).healthy).toBe(false)

    const ports = allPorts(state)
    const down = await labDown({ dir })
    expect(down.problems).toEqual([])
    expect(await leftovers(dir, ports)).toEqual({ processes: [], listening: [] })
    expect(existsSync(dir)).toBe(false)
    expect(await labSecrets(dir)).toBeNull()
  }, 120_000)
})
