// The one-click lab end to end, as a user runs it: `vault-tray lab up` from nothing (its own OpenBao, etcd +
// kube-apiserver and PostgreSQL, the test lab's keychain), both Secrets synced and the dynamic credentials logging
// in to PostgreSQL; `lab up` again changes nothing; `lab status` and `lab token`; `lab down` leaves nothing.
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SystemKeychain } from '../../main/engine/cache/keychain.ts'
import { labDown } from '../../main/engine/lab/lab.ts'
import { lockDefaultCollection, startKeychain } from '../lab/servers/keychain.ts'
import { STATIC_EXAMPLE_DATA, TUTORIAL } from '../../main/engine/lab/tutorial.ts'
import { allPorts, expectTutorialSynced, labKube, labSecrets, labSnapshot, labTokenCount, leftovers, logsIn, readLabState, readSecretData, useTestKeychain, vaultTray, type CliRun } from './lab-helpers.ts'

const { static: stat, dynamic } = TUTORIAL
const dir = mkdtempSync(join(tmpdir(), 'vault-tray-lab-up-'))
let first: CliRun
let firstSnapshot: Record<string, unknown>

beforeAll(async () => {
  useTestKeychain()
  first = await vaultTray(['lab', 'up', '--dir', dir])
  console.log(`lab up from nothing: ${first.ms} ms (the command's own figure: ${/\((\d+\.\d)s\)/.exec(first.stdout)?.[1]} s)`)
}, 180_000)

afterAll(async () => {
  // whatever a failed test left: the lab's servers never outlive the test run
  if (existsSync(dir)) await labDown({ dir })
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

describe('vault-tray lab up, from nothing', () => {
  it('sets up every step of the tutorial and says where each step logged', () => {
    expect(first.code, first.stdout + first.stderr).toBe(0)
    for (const title of ['Vault up and unsealed', 'Kubernetes cluster up', 'PostgreSQL up', 'KV v2 static/exampleapp/creds', 'Database engine on PostgreSQL', 'Transit key and policy', 'Kubernetes auth: token reviewer vault-to-k8s-sa', 'VaultConnection, VaultAuths']) {
      expect(first.stdout).toMatch(new RegExp(`^  ✓ ${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*  \\d+\\.\\ds  .*\\[log: ${dir}/logs/`, 'm'))
    }
    expect(first.stdout).toMatch(/^The lab is up \(\d+\.\ds\)\.$/m)
    expect(first.stdout).toContain(`export VAULT_ADDR=http://127.0.0.1:${readLabState(dir).servers.vault!.port} KUBECONFIG=${dir}/kube/kubeconfig`)
    expect(first.stdout).toContain('`npm start -- --sync`')
  })

  it('syncs vso-static-creds-from-vault from Vault and vso-dynamic-creds-from-vault that log in to PostgreSQL', async () => {
    await expectTutorialSynced(dir)
  })

  it('keeps its servers running after the command ends, on 127.0.0.1 only', async () => {
    const state = readLabState(dir)
    expect(Object.keys(state.servers).sort()).toEqual(['etcd', 'kube-apiserver', 'postgres', 'vault'])
    for (const record of Object.values(state.servers)) expect(() => process.kill(record.pid, 0)).not.toThrow()
    const listening = readFileSync('/proc/net/tcp', 'utf8') + readFileSync('/proc/net/tcp6', 'utf8')
    // state 0A is LISTEN; every listener on one of the lab's ports is bound to 127.0.0.1 (0100007F)
    for (const port of allPorts(state)) {
      const hex = port.toString(16).toUpperCase().padStart(4, '0')
      const local = [...listening.matchAll(new RegExp(`^\\s*\\d+: ([0-9A-F]+):${hex} [0-9A-F]+:0000 0A`, 'gm'))].map((match) => match[1])
      for (const address of local) expect(address).toBe('0100007F')
    }
  })

  it('keeps the root token and unseal key in the keychain, and no secret in its output, logs or state', async () => {
    const secrets = (await labSecrets(dir))!
    expect(secrets.rootToken).toMatch(/^s\./)
    expect(secrets.unsealKey).toBeTruthy()
    expect(existsSync(join(dir, 'secrets.json'))).toBe(false)
    const api = labKube(dir)
    const dynamicPassword = (await readSecretData(api, dynamic.namespace, dynamic.destination)).password!
    api.close()
    const written = [first.stdout, first.stderr, readFileSync(join(dir, 'state.json'), 'utf8'), ...readdirSync(join(dir, 'logs')).map((file) => readFileSync(join(dir, 'logs', file), 'utf8'))].join('\n')
    for (const secret of [secrets.rootToken!, secrets.unsealKey!, secrets.postgresPassword!, dynamicPassword, STATIC_EXAMPLE_DATA.password]) expect(written).not.toContain(secret)
  })
})

describe('vault-tray lab up, again', () => {
  it('changes nothing: same resourceVersions, same Vault configuration, leases and PostgreSQL users, same servers', async () => {
    firstSnapshot = await labSnapshot(dir)
    // the measures themselves hold what they should: one lease, one user, every object read
    expect(firstSnapshot).toMatchObject({ leases: { keys: [expect.any(String)] }, postgresUsers: [expect.stringMatching(/^v-/)] })
    expect(Object.values(firstSnapshot.kube as Record<string, string>).every((version) => /^\d+$/.test(version))).toBe(true)
    const again = await vaultTray(['lab', 'up', '--dir', dir, '--show-token'])
    console.log(`lab up again: ${again.ms} ms (the command's own figure: ${/\((\d+\.\d)s\)/.exec(again.stdout)?.[1]} s)`)
    expect(again.code, again.stdout + again.stderr).toBe(0)
    expect(again.stdout).toMatch(/^The lab was already up; nothing changed \(\d+\.\ds\)\.$/m)
    expect(again.stdout.match(/^ {2}✓ .* {2}unchanged {2}\[log: /gm)).toHaveLength(11)
    expect(await labSnapshot(dir)).toEqual(firstSnapshot)
    // asked for, the token is shown with the exports
    expect(again.stdout).toContain(`VAULT_TOKEN=${(await labSecrets(dir))!.rootToken}`)
  })
})

describe('vault-tray lab status and token', () => {
  it('status says what runs and that all is healthy, without a secret', async () => {
    const status = await vaultTray(['lab', 'status', '--dir', dir])
    expect(status.code, status.stdout + status.stderr).toBe(0)
    for (const server of ['vault', 'kube-apiserver', 'postgres']) expect(status.stdout).toMatch(new RegExp(`^  ${server} +running  pid \\d+  127\\.0\\.0\\.1:\\d+$`, 'm'))
    expect(status.stdout).toMatch(new RegExp(`^  etcd +running  pid \\d+  ${dir}/etcd/client\\.sock:0$`, 'm'))
    expect(status.stdout.match(/^ {2}✓ /gm)).toHaveLength(11)
    expect(status.stdout).toContain('Healthy: everything is as `lab up` made it.')
    expect(status.stdout).not.toContain((await labSecrets(dir))!.rootToken)
  })

  it('token prints the root token, and --unseal-key the unseal key, and nothing else', async () => {
    const secrets = (await labSecrets(dir))!
    const [token, unsealKey] = await Promise.all([vaultTray(['lab', 'token', '--dir', dir]), vaultTray(['lab', 'token', '--dir', dir, '--unseal-key'])])
    expect(token.stdout).toBe(`${secrets.rootToken}\n`)
    expect(unsealKey.stdout).toBe(`${secrets.unsealKey}\n`)
  })
})

describe('npm start with nothing configured', () => {
  it('uses the lab as its default Vault and cluster', async () => {
    // the lab where the daemon looks by default: $XDG_DATA_HOME/vault-tray/lab
    const data = mkdtempSync(join(tmpdir(), 'vault-tray-xdg-'))
    try {
      mkdirSync(join(data, 'vault-tray'))
      symlinkSync(dir, join(data, 'vault-tray', 'lab'))
      const run = await vaultTray(['daemon', '--once'], { env: { XDG_DATA_HOME: data, HOME: data, VAULT_ADDR: '', KUBECONFIG: '' } })
      expect(run.stdout).toContain(`Nothing configured: using the one-click lab in ${join(data, 'vault-tray', 'lab')}`)
      const state = readLabState(dir)
      expect(run.stdout).toContain(`vault  http://127.0.0.1:${state.servers.vault!.port}  ok: version `)
      expect(run.stdout).toContain(`kube   vault-tray-lab (https://127.0.0.1:${state.servers['kube-apiserver']!.port})  ok: v1.35.4`)
      expect(run.code).toBe(0)
    } finally {
      rmSync(data, { recursive: true, force: true })
    }
  })
})

describe('npm start -- --sync on the lab', () => {
  const data = mkdtempSync(join(tmpdir(), 'vault-tray-xdg-'))
  const cacheDir = join(data, 'vault-tray', 'cache')
  afterAll(() => rmSync(data, { recursive: true, force: true }))

  /** One `npm start -- --sync` with nothing configured (so on the lab), stopped once both Secrets are synced; with the logins it made. */
  async function startOnce(env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; logins: number }> {
    const tokensBefore = await labTokenCount(dir)
    let printed = ''
    const synced = [`sync   VaultStaticSecret/${stat.namespace}/${stat.secret}  synced`, `sync   VaultDynamicSecret/${dynamic.namespace}/${dynamic.secret}  synced`]
    const run = await vaultTray(['daemon', '--sync', '--metrics-port', '0', '--interval', '60'], {
      env: { XDG_DATA_HOME: data, HOME: data, VAULT_ADDR: '', KUBECONFIG: '', ...env },
      onStart: (child) =>
        child.stdout!.on('data', (chunk: Buffer) => {
          printed += chunk.toString()
          if (synced.every((line) => printed.includes(line))) child.kill('SIGTERM')
        }),
    })
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^sync {3}vault-tray-lab {2}syncing: .*holds the writer Lease vault-secrets-operator\/b0d477c0\.hashicorp\.com/m)
    return { stdout: run.stdout, logins: (await labTokenCount(dir)) - tokensBefore }
  }
  /** Sets a vault-tray keychain entry on another Secret Service, from a process of its own (a process keeps the bus it first used). */
  async function keychainSetElsewhere(dbusAddress: string, account: string, secret: string): Promise<void> {
    const script = `import('./main/engine/cache/keychain.ts').then(({ SystemKeychain }) => new SystemKeychain().set(process.env.ACCOUNT, process.env.SECRET))`
    await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script], { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: dbusAddress, ACCOUNT: account, SECRET: secret } })
  }
  const sealedLine = (kept: number) => new RegExp(`^sync {3}client cache: ${kept} Vault tokens kept in ${cacheDir}/\\S+, sealed`, 'm')

  it('resumes the lease lab up made, at each start: no new database user, no restart of exampleapp; the second start logs in nowhere', { timeout: 120_000 }, async () => {
    const before = await labSnapshot(dir)
    const deployment = `/apis/apps/v1/namespaces/${dynamic.namespace}/deployments/${dynamic.deployment}`
    mkdirSync(join(data, 'vault-tray'))
    symlinkSync(dir, join(data, 'vault-tray', 'lab'))
    // the tokens of the three VaultAuths are sealed with the lab's transit key, in the cache folder under HOME
    const first = await startOnce()
    expect(first.stdout).toMatch(sealedLine(0))
    const second = await startOnce()
    expect(second.stdout).toMatch(sealedLine(3))
    console.log(`logins by the daemon: first start ${first.logins}, second start ${second.logins}`)
    expect(first.logins).toBeGreaterThan(0)
    expect(second.logins).toBe(0)
    const after = await labSnapshot(dir)
    console.log(`two daemon starts on the lab: leases ${(before.leases as { keys: string[] }).keys.length} → ${(after.leases as { keys: string[] }).keys.length}, PostgreSQL users ${(before.postgresUsers as string[]).length} → ${(after.postgresUsers as string[]).length}`)
    expect(after.leases).toEqual(before.leases)
    expect(after.postgresUsers).toEqual(before.postgresUsers)
    expect((after.kube as Record<string, string>)[deployment]).toBe((before.kube as Record<string, string>)[deployment])
    const api = labKube(dir)
    expect(await logsIn(dir, await readSecretData(api, dynamic.namespace, dynamic.destination))).toBe(true)
    api.close()
  })

  it('with the keychain locked, says so, logs in and keeps the file untouched; unlocked, the next start restores every token', { timeout: 120_000 }, async () => {
    const file = join(cacheDir, readdirSync(cacheDir).find((name) => name.startsWith('sync-'))!)
    const kept = readFileSync(file)
    const controller = new AbortController()
    const locked = await startKeychain(mkdtempSync(join(tmpdir(), 'vault-tray-locked-')), 20_000, controller.signal)
    try {
      // the locked keychain holds the cache's key, as the user's own would: copied there, then locked
      const account = `sync-client-cache:${file}`
      const secret = await new SystemKeychain().get(account)
      expect(secret).not.toBeNull()
      await keychainSetElsewhere(locked.info.dbusAddress, account, secret!)
      await lockDefaultCollection(locked.info.dbusAddress)
      const run = await startOnce({ DBUS_SESSION_BUS_ADDRESS: locked.info.dbusAddress })
      expect(run.stdout).toMatch(new RegExp(`^sync {3}client cache: The OS keychain cannot be used \\(.*prompt was dismissed\\)\\. Unlock it.* ${file} is kept as it is\\.$`, 'm'))
      // one login for each VaultAuth of a secret; the storage VaultAuth is not used while the keychain is locked
      expect(run.logins).toBe(2)
      expect(readFileSync(file).equals(kept)).toBe(true)
    } finally {
      await locked.server.stop()
      controller.abort()
    }
    const unlocked = await startOnce()
    expect(unlocked.stdout).toMatch(sealedLine(3))
    expect(unlocked.logins).toBe(0)
  })
})

describe('vault-tray lab down', () => {
  it('removes everything the lab created: no process, no port, no directory, no keychain entry', async () => {
    const ports = allPorts(readLabState(dir))
    const down = await vaultTray(['lab', 'down', '--dir', dir])
    expect(down.code, down.stdout + down.stderr).toBe(0)
    for (const server of ['vault', 'kube-apiserver', 'postgres']) expect(down.stdout).toMatch(new RegExp(`^  stopped ${server} \\(pid \\d+, 127\\.0\\.0\\.1:\\d+\\)$`, 'm'))
    expect(down.stdout).toMatch(new RegExp(`^  stopped etcd \\(pid \\d+, ${dir}/etcd/client\\.sock:0\\)$`, 'm'))
    expect(down.stdout).toContain('The lab is down: nothing of it is left.')
    expect(await leftovers(dir, ports)).toEqual({ processes: [], listening: [] })
    expect(existsSync(dir)).toBe(false)
    expect(await labSecrets(dir)).toBeNull()

    const status = await vaultTray(['lab', 'status', '--dir', dir])
    expect(status.code).toBe(3)
    expect(status.stdout).toMatch(/^No lab in .*`vault-tray lab up` makes one\.$/m)
  })
})
