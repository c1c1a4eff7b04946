// The one-click lab on HashiCorp Vault instead of OpenBao (`lab up --vault-bin <vault>`), as a user with Vault
// installed runs it: every step of the tutorial, both Secrets synced, the dynamic credentials logging in to
// PostgreSQL, the tutorial's last section (instant updates by Vault's event stream) working under `npm start --
// --sync`, and `lab down` leaving nothing.
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { labDown } from '../../main/engine/lab/lab.ts'
import { lab } from './helpers.ts'
import { TUTORIAL } from '../../main/engine/lab/tutorial.ts'
import { expectTutorialSynced, labKube, labSecrets, readLabState, readSecretData, useTestKeychain, vaultTray, type CliRun } from './lab-helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'vault-tray-lab-vault-'))
let up: CliRun

beforeAll(async () => {
  useTestKeychain()
  up = await vaultTray(['lab', 'up', '--dir', dir, '--vault-bin', lab.binaries.vault])
}, 180_000)

afterAll(async () => {
  await labDown({ dir })
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

describe('vault-tray lab up --vault-bin <HashiCorp Vault>', () => {
  it('sets up the whole tutorial on Vault', async () => {
    expect(up.code, up.stdout + up.stderr).toBe(0)
    expect(up.stdout).toMatch(/^The lab is up \(\d+\.\ds\)\.$/m)
    const health = (await (await fetch(`http://127.0.0.1:${readLabState(dir).servers.vault!.port}/v1/sys/health`)).json()) as { version: string }
    expect(health.version).toBe('1.14.2')
  })

  it('syncs both Secrets, and the dynamic credentials log in to PostgreSQL', async () => {
    await expectTutorialSynced(dir)
  })

  it('says in lab status that the lab runs HashiCorp Vault', async () => {
    const status = await vaultTray(['lab', 'status', '--dir', dir])
    expect(status.code, status.stdout + status.stderr).toBe(0)
    expect(status.stdout).toContain(`  Vault: a Vault v1.14.2 server of its own (${lab.binaries.vault})`)
    expect(status.stdout).toContain('Healthy: everything is as `lab up` made it.')
  })

  it('follows Vault events, as the tutorial\'s last section sets it up: under npm start -- --sync a KV write is in the Secret long before refreshAfter (30s)', { timeout: 120_000 }, async () => {
    const stat = TUTORIAL.static
    const api = labKube(dir)
    const address = `http://127.0.0.1:${readLabState(dir).servers.vault!.port}`
    const home = mkdtempSync(join(tmpdir(), 'vault-tray-home-'))
    try {
      const resource = await api.get<{ spec: { syncConfig?: { instantUpdates?: boolean } } }>(`/apis/secrets.hashicorp.com/v1beta1/namespaces/${stat.namespace}/vaultstaticsecrets/${stat.secret}`)
      expect(resource.spec.syncConfig).toEqual({ instantUpdates: true })
      let printed = ''
      let daemon: ChildProcess | undefined
      const run = vaultTray(['daemon', '--sync', '--metrics-port', '0', '--interval', '60'], {
        env: { VAULT_ADDR: address, KUBECONFIG: join(dir, 'kube', 'kubeconfig'), HOME: home, XDG_DATA_HOME: home, VAULT_TOKEN: '' },
        onStart: (child) => {
          daemon = child
          child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()))
        },
      })
      await until(() => printed.includes(`sync   VaultStaticSecret/${stat.namespace}/${stat.secret}  synced`), 60_000, () => printed)
      const started = performance.now()
      const written = await fetch(`${address}/v1/${stat.kvMount}/data/${stat.kvPath}`, {
        method: 'POST',
        headers: { 'X-Vault-Token': (await labSecrets(dir))!.rootToken! },
        body: JSON.stringify({ data: { username: 'static-user', password: 'changed-in-vault' } }),
      })
      expect(written.status).toBe(200)
      await until(async () => (await readSecretData(api, stat.namespace, stat.destination)).password === 'changed-in-vault', 15_000, () => printed)
      const ms = Math.round(performance.now() - started)
      console.log(`lab on Vault, instant updates: ${ms} ms from the KV write to the Secret (refreshAfter 30s)`)
      daemon!.kill('SIGTERM')
      const { code, stderr } = await run
      expect(code, printed + stderr).toBe(0)
      // the sync engine said how it follows the secret: by the event stream, not by reading it again
      const status = await api.get<{ status: { conditions: { type: string; message: string }[] } }>(`/apis/secrets.hashicorp.com/v1beta1/namespaces/${stat.namespace}/vaultstaticsecrets/${stat.secret}`)
      expect(status.status.conditions.find((condition) => condition.type === 'SecretSynced')?.message).toMatch(/, instant updates by Vault events$/)
    } finally {
      api.close()
      rmSync(home, { recursive: true, force: true })
    }
  })
})

/** Waits for `check` to hold, polling every 100 ms; fails with `context()` after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms: number, context: () => string): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms; the daemon printed:\n${context()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
