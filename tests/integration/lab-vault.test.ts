// The one-click lab on HashiCorp Vault instead of OpenBao (`lab up --vault-bin <vault>`), as a user with Vault
// installed runs it: every step of the tutorial, both Secrets synced, the dynamic credentials logging in to
// PostgreSQL, and `lab down` leaving nothing.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { labDown } from '../../main/engine/lab/lab.ts'
import { lab } from './helpers.ts'
import { expectTutorialSynced, readLabState, useTestKeychain, vaultTray, type CliRun } from './lab-helpers.ts'

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
})
