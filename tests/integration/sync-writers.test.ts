// One writer per cluster, against the real lab (kube-apiserver, OpenBao, PostgreSQL): two running copies never
// fight over a VaultDynamicSecret, a copy that dies is taken over without new credentials, a third writer that
// keeps editing the destination stops minting at the budget, a restart resumes the lease, and `npm start`
// stopped with SIGTERM leaves nothing behind. Leases are counted in Vault (sys/leases/lookup).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { API_VERSION } from '../../main/engine/sync/api.ts'
import { MINT_BUDGET } from '../../main/engine/sync/mint-budget.ts'
import { RESTARTED_AT_ANNOTATION } from '../../main/engine/sync/rollout.ts'
import { canLogIn, lab, on, unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'
import { adminApi, apply, createNamespace, ensureCrds, eventsFor, eventually, kubeAuthOn, readSecret, startEngine } from './sync-helpers.ts'

function suite(server: VaultServer): void {
  const { databaseRole } = on(server)
  const { kubernetesAuth, kubernetesRole } = kubeAuthOn(server)
  const LEASE = 'b0d477c0.hashicorp.com'
  let authMount: string

  beforeAll(async () => {
    await ensureCrds()
    authMount = await kubernetesAuth()
  })

  /** A namespace with a VaultConnection, a VaultAuth, a database role and a Deployment to restart; returns the creds path. */
  async function dynamicSetup(prefix: string): Promise<{ namespace: string; path: string }> {
    const namespace = await createNamespace(unique(prefix), 'app')
    const path = await databaseRole({ default_ttl: '1h', max_ttl: '24h' })
    await server.call('PUT', `sys/policies/acl/${namespace}`, { policy: `path "${path}" { capabilities = ["read"] }` })
    await kubernetesRole(authMount, 'app', 'app', namespace, [namespace])
    await apply({ apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: 'conn', namespace }, spec: { address: server.address } })
    await apply({ apiVersion: API_VERSION, kind: 'VaultAuth', metadata: { name: 'auth', namespace }, spec: { vaultConnectionRef: 'conn', method: 'kubernetes', mount: authMount, kubernetes: { role: 'app', serviceAccount: 'app', audiences: ['vault'] } } })
    await apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'db-app', namespace }, spec: { selector: { matchLabels: { app: 'db-app' } }, template: { metadata: { labels: { app: 'db-app' } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } } } })
    await apply({
      apiVersion: API_VERSION,
      kind: 'VaultDynamicSecret',
      metadata: { name: 'db', namespace },
      spec: { mount: path.split('/')[0], path: 'creds/app', vaultAuthRef: 'auth', destination: { name: 'db', create: true }, rolloutRestartTargets: [{ kind: 'Deployment', name: 'db-app' }] },
    })
    return { namespace, path }
  }

  /** The leases Vault holds under the creds path: one per set of credentials minted. */
  async function leaseCount(path: string): Promise<number> {
    const listed = await server.call<{ data: { keys: string[] } }>('GET', `sys/leases/lookup/${path}/?list=true`).catch((error: Error) => {
      if (error.message.includes(': 404 ')) return { data: { keys: [] } }
      throw error
    })
    return listed.data.keys.length
  }

  async function restartedAt(namespace: string): Promise<string | undefined> {
    const deployment = await adminApi().get<{ spec: { template: { metadata?: { annotations?: Record<string, string> } } } }>(`/apis/apps/v1/namespaces/${namespace}/deployments/db-app`)
    return deployment.spec.template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION]
  }

  interface Daemon {
    child: ChildProcess
    output: () => string
    exited: Promise<number | null>
  }

  /** `vault-tray daemon --sync` on one namespace; runtimeDir stands for the machine (its lock directory). */
  function daemon(namespace: string, runtimeDir: string): Daemon {
    const home = mkdtempSync(join(tmpdir(), 'vault-tray-writer-home-'))
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli.ts', 'daemon', '--sync', '--namespace', namespace, '--mode', 'write', '--metrics-port', '0', '--interval', '60'], {
      env: { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_RUNTIME_DIR: runtimeDir, VAULT_ADDR: server.address, KUBECONFIG: lab.kube.kubeconfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    return { child, output: () => output, exited: once(child, 'exit').then(([code]) => code as number | null) }
  }

  const writing = (daemon: Daemon) => /^sync {3}lab {2}syncing: .*holds the writer Lease/m.test(daemon.output().split(/^sync {3}lab {2}observing only/m).at(-1)!)
  const observing = (daemon: Daemon) => /^sync {3}lab {2}observing only: .*vault-tray \S+ pid \d+ #\w+ holds the writer Lease \S+ since \S+: observing only/m.test(daemon.output())
  const runtimeDir = () => mkdtempSync(join(tmpdir(), 'vault-tray-run-'))

  describe('two copies of the sync engine on one kube-context', () => {
    it('mint one lease in 60 s: one writes, the other observes and says who writes; killed, the writer is taken over without new credentials', { timeout: 180_000 }, async () => {
      const { namespace, path } = await dynamicSetup('writers')
      const first = daemon(namespace, runtimeDir())
      const second = daemon(namespace, runtimeDir())
      try {
        const [writer, watcher] = await eventually(async () => (writing(first) && observing(second) ? [first, second] : writing(second) && observing(first) ? [second, first] : undefined), 'one copy to write and the other to observe', 30_000)
        const credentials = await eventually(() => readSecret(namespace, 'db'), 'the credentials')
        expect(await canLogIn(credentials)).toBe(true)
        await new Promise((resolve) => setTimeout(resolve, 60_000))
        expect(await leaseCount(path)).toBe(1)
        expect(await readSecret(namespace, 'db')).toEqual(credentials)

        writer.child.kill('SIGKILL')
        await writer.exited
        await eventually(async () => writing(watcher), 'the other copy to take over once the Lease expired', 40_000)
        await eventually(async () => watcher.output().includes(`sync   VaultDynamicSecret/${namespace}/db  synced`), 'the taken-over resource to be synced')
        await eventually(async () => (await eventsFor(namespace, 'db', 'VaultDynamicSecret')).some((event) => event.message.startsWith('Resumed lease')), 'the lease to be resumed')
        expect(await leaseCount(path)).toBe(1)
        expect(await readSecret(namespace, 'db')).toEqual(credentials)
        expect(await restartedAt(namespace)).toBeUndefined()
        expect((await eventsFor(namespace, 'db', 'VaultDynamicSecret')).map((event) => event.reason)).not.toContain('SecretRotated')
      } finally {
        for (const copy of [first, second]) copy.child.kill('SIGTERM')
        await Promise.all([first.exited, second.exited])
      }
    })

    it('on one machine: the second copy is refused before it writes, and names the process that holds the lock', { timeout: 60_000 }, async () => {
      const { namespace } = await dynamicSetup('lock')
      const dir = runtimeDir()
      const first = daemon(namespace, dir)
      try {
        await eventually(async () => writing(first), 'the first copy to write', 30_000)
        const second = daemon(namespace, dir)
        expect(await second.exited).toBe(1)
        expect(second.output()).toContain(`Another Vault Tray (pid ${first.child.pid}, started `)
        expect(second.output()).toContain(`already syncs kube-context "lab" (namespace ${namespace}) from this machine`)
        expect(second.output()).toContain('--mode observe')
      } finally {
        first.child.kill('SIGTERM')
        await first.exited
      }
      // a clean stop releases the Lease: the next copy need not wait for it to expire
      const released = await adminApi().get<{ spec: { holderIdentity?: string } }>(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${LEASE}`)
      expect(released.spec.holderIdentity ?? '').toBe('')
    })
  })

  describe('the minting budget', () => {
    it('stops minting when a third writer keeps editing the destination, and names it', { timeout: 90_000 }, async () => {
      const { namespace, path } = await dynamicSetup('budget')
      const { engine } = await startEngine([namespace])
      let editing = true
      try {
        await eventually(() => readSecret(namespace, 'db'), 'the first credentials')
        const rogue = (async () => {
          for (let i = 0; editing && i < 400; i++) {
            await adminApi().patch(`/api/v1/namespaces/${namespace}/secrets/db`, { data: { username: Buffer.from(`rogue-${i}`).toString('base64') } }, 'merge', { fieldManager: 'rogue-writer' })
            await new Promise((resolve) => setTimeout(resolve, 250))
          }
        })()
        const refused = await eventually(async () => (await eventsFor(namespace, 'db', 'VaultDynamicSecret')).find((event) => event.reason === 'MintBudgetExceeded'), 'the budget to be used up', 60_000)
        editing = false
        await rogue
        expect(refused.type).toBe('Warning')
        expect(refused.message).toContain(`Someone else writes Secret ${namespace}/db (last writer: rogue-writer)`)
        await new Promise((resolve) => setTimeout(resolve, 3_000))
        expect(await leaseCount(path)).toBe(MINT_BUDGET.limit)
        const record = engine.record(`VaultDynamicSecret/${namespace}/db`)
        expect(record?.state).toBe('failing')
        expect(record?.message).toContain('last writer: rogue-writer')
      } finally {
        editing = false
        await engine.stop()
      }
    })
  })

  describe('a restart of the sync engine', () => {
    it('resumes the lease the destination holds: no new credentials, no restart', { timeout: 60_000 }, async () => {
      const { namespace, path } = await dynamicSetup('resume')
      const before = await startEngine([namespace])
      const credentials = await eventually(() => readSecret(namespace, 'db'), 'the first credentials')
      await before.engine.whenIdle()
      await before.engine.stop()
      expect(await leaseCount(path)).toBe(1)
      const after = await startEngine([namespace])
      try {
        await eventually(async () => (await eventsFor(namespace, 'db', 'VaultDynamicSecret')).some((event) => event.message.startsWith('Resumed lease')), 'the lease to be resumed')
        await eventually(async () => after.engine.record(`VaultDynamicSecret/${namespace}/db`)?.state === 'synced', 'the resource to be synced')
        expect(await leaseCount(path)).toBe(1)
        expect(await readSecret(namespace, 'db')).toEqual(credentials)
        expect(await restartedAt(namespace)).toBeUndefined()
      } finally {
        await after.engine.stop()
      }
    })

    it('mints again when the lease it would resume was revoked meanwhile', { timeout: 60_000 }, async () => {
      const { namespace, path } = await dynamicSetup('revoked')
      const before = await startEngine([namespace])
      const credentials = await eventually(() => readSecret(namespace, 'db'), 'the first credentials')
      await before.engine.whenIdle()
      await before.engine.stop()
      await server.call('PUT', `sys/leases/revoke-prefix/${path}`, {})
      const after = await startEngine([namespace])
      try {
        const fresh = await eventually(async () => {
          const data = await readSecret(namespace, 'db')
          return data && data.username !== credentials.username ? data : undefined
        }, 'new credentials')
        expect(await canLogIn(fresh)).toBe(true)
        expect(await leaseCount(path)).toBe(1)
      } finally {
        await after.engine.stop()
      }
    })
  })

  describe('npm start', () => {
    it('stopped with SIGTERM, leaves no process behind and releases the writer Lease', { timeout: 90_000 }, async () => {
      const namespace = await createNamespace(unique('npm-start'))
      const home = mkdtempSync(join(tmpdir(), 'vault-tray-npm-home-'))
      const npm = spawn('npm', ['start', '--', '--sync', '--namespace', namespace, '--mode', 'write', '--metrics-port', '0', '--interval', '60'], {
        env: { PATH: process.env.PATH, HOME: home, XDG_RUNTIME_DIR: runtimeDir(), VAULT_ADDR: server.address, KUBECONFIG: lab.kube.kubeconfig },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group, so that everything it started can be counted
      })
      let output = ''
      npm.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
      npm.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
      const exited = once(npm, 'exit')
      const group = () => execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' }).split('\n').filter((line) => line.trim().split(/\s+/)[1] === String(npm.pid))
      try {
        await eventually(async () => /^sync {3}lab {2}syncing: /m.test(output), 'the daemon to write', 60_000)
        expect(group().length).toBeGreaterThan(1)
        process.kill(npm.pid!, 'SIGTERM')
        await exited
        await eventually(async () => group().length === 0, 'every process npm start started to be gone', 15_000)
        const lease = await adminApi().get<{ spec: { holderIdentity?: string } }>(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${LEASE}`)
        expect(lease.spec.holderIdentity ?? '').toBe('')
      } finally {
        try {
          process.kill(-npm.pid!, 'SIGKILL')
        } catch {
          // already gone, as it should be
        }
      }
    })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
