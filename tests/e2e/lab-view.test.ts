// The one-click lab from the window: a daemon with nothing configured (no VAULT_ADDR, no kubeconfig, a HOME of its
// own) offers the lab on the Overview, and the Lab view's "Set up the lab" runs the real `lab up` (its own OpenBao,
// etcd + kube-apiserver and PostgreSQL, the test lab's keychain) and shows its 11 steps finishing. `lab down`, the
// real CLI, removes it afterwards so no process is left.
import { chmodSync, existsSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cacheDir } from '../../main/engine/lab/binaries.ts'
import { STEP_TITLES } from '../../main/engine/lab/steps.ts'
import { ensureRendererBuilt } from '../../main/ui/renderer-build.ts'
import { lab } from '../integration/helpers.ts'
import { allPorts, labSecrets, leftovers, readLabState, useTestKeychain, vaultTray } from '../integration/lab-helpers.ts'
import { launchChromium, startDaemon, type DaemonUnderTest } from './daemon.ts'
import { LabPage } from './pages/lab-page.ts'
import { OverviewPage, VaultTrayPage } from './pages/vault-tray-page.ts'

const SCREENSHOTS = join(import.meta.dirname, 'screenshots')
const TITLES = Object.values(STEP_TITLES)
/** A whole `lab up` from nothing on two shared cores: servers, the tutorial, and both Secrets synced. */
const UP = { timeout: 240_000, interval: 500 }

let daemon: DaemonUnderTest
let labDir: string
let browser: Browser
let page: Page
let app: VaultTrayPage
let labPage: LabPage

beforeAll(async () => {
  useTestKeychain()
  await ensureRendererBuilt()
  daemon = await startDaemon([], {
    // nothing configured: the daemon finds no Vault and no cluster
    VAULT_ADDR: undefined,
    KUBECONFIG: undefined,
    // what `lab up` needs: the binaries' cache (the daemon's HOME is empty) and a keychain for the root token
    XDG_CACHE_HOME: dirname(cacheDir()),
    DBUS_SESSION_BUS_ADDRESS: lab.keychain.dbusAddress,
  })
  labDir = join(daemon.home, 'data', 'vault-tray', 'lab')
  // run as root (as in CI), the lab's PostgreSQL runs as the user postgres, who must be able to walk down to the lab
  if (process.getuid?.() === 0) {
    for (const dir of [daemon.home, join(daemon.home, 'data'), dirname(labDir)]) {
      mkdirSync(dir, { recursive: true })
      chmodSync(dir, 0o711)
    }
  }
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  app = new VaultTrayPage(page)
  labPage = new LabPage(page)
  await app.open(daemon.url)
}, 120_000)

afterAll(async () => {
  await browser?.close()
  // a daemon inside `lab up` interrupts it between two operations and exits
  await daemon?.stop()
  if (labDir && existsSync(labDir)) {
    const ports = existsSync(join(labDir, 'state.json')) ? allPorts(readLabState(labDir)) : []
    const down = await vaultTray(['lab', 'down', '--dir', labDir])
    expect(down.code, down.stdout + down.stderr).toBe(0)
    expect(await leftovers(labDir, ports)).toEqual({ processes: [], listening: [] })
  }
}, 120_000)

describe('the lab, from a window with nothing configured', () => {
  it('offers the one-click lab on the Overview, with a link to the Lab view', async () => {
    const overview = new OverviewPage(page)
    await overview.heading.waitFor()
    const noContext = overview.kubernetes.getByRole('region', { name: 'No kube-context' })
    await noContext.waitFor()
    await noContext.getByRole('link', { name: 'set up the one-click lab' }).click()
    await labPage.heading.waitFor()
    expect(new URL(page.url()).hash).toBe('#/lab')
    await expect.poll(() => labPage.states()).toEqual(TITLES.map((title) => ({ title, state: 'To do' })))
    expect(await labPage.summary.innerText()).toBe('Not set up')
    expect(await labPage.setUp.innerText()).toBe('Set up the lab')
  })

  it('sets the lab up with one click and shows each of the 11 steps finishing, with its duration and what changed', async () => {
    await labPage.setUp.click()
    // one run at a time: the button stays disabled while it works
    await expect.poll(() => labPage.summary.innerText()).toMatch(/^Setting up: \d+ of 11 steps done$/)
    expect(await labPage.setUp.isDisabled()).toBe(true)
    await expect.poll(async () => (await labPage.states()).map((step) => step.state), UP).toEqual(TITLES.map(() => 'Done'))
    for (const title of TITLES) {
      const text = await labPage.step(title).innerText()
      expect(text, title).toMatch(/\d+\.\d s|\d+ min \d\d s/)
    }
    expect(await labPage.step(STEP_TITLES.vault).innerText()).toMatch(/started|initialized|unsealed/i)
    await expect.poll(() => labPage.summary.innerText(), { timeout: 60_000 }).toBe('Up and healthy')

    const state = readLabState(labDir)
    await labPage.usage.waitFor()
    expect(await labPage.field('Vault').innerText()).toBe(`http://127.0.0.1:${state.servers.vault!.port}`)
    expect(await labPage.field('Kubeconfig').innerText()).toBe(join(labDir, 'kube', 'kubeconfig'))
    expect(await labPage.usage.innerText()).toContain(`export VAULT_ADDR=http://127.0.0.1:${state.servers.vault!.port} KUBECONFIG=${join(labDir, 'kube', 'kubeconfig')}`)
    expect(await labPage.usage.innerText()).toContain('npm run vault-tray -- lab token')
    await page.screenshot({ path: join(SCREENSHOTS, 'lab.png'), fullPage: true })
  }, 300_000)

  it('reports the lab healthy when looked at afresh, and never shows its root token or unseal key', async () => {
    await page.reload()
    await labPage.heading.waitFor()
    await expect.poll(() => labPage.summary.innerText(), { timeout: 60_000 }).toBe('Up and healthy')
    expect((await labPage.states()).map((step) => step.state)).toEqual(TITLES.map(() => 'Done'))
    const secrets = (await labSecrets(labDir))!
    expect(secrets.rootToken).toBeTruthy()
    const html = await page.content()
    expect(html).not.toContain(secrets.rootToken!)
    expect(html).not.toContain(secrets.unsealKey!)
    expect(daemon.output()).not.toContain(secrets.rootToken!)
  }, 90_000)
})
