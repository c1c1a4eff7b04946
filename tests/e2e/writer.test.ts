// Two copies on one kube-context, as a user sees them in the window: the one that observes says who writes and
// since when, and "Take over" makes it the writer while the other steps back to observing. Real lab, Chromium.
import { mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureRendererBuilt } from '../../main/ui/renderer-build.ts'
import { lab, unique } from '../integration/helpers.ts'
import { createNamespace, ensureCrds, eventually } from '../integration/sync-helpers.ts'
import { launchChromium, startDaemon, type DaemonUnderTest } from './daemon.ts'

const SCREENSHOTS = join(import.meta.dirname, 'screenshots')
const POLL = { timeout: 20_000, interval: 100 }

let writer: DaemonUnderTest
let watcher: DaemonUnderTest
let browser: Browser
let page: Page

/** Each copy has a runtime directory of its own, as two machines would: the local lock does not meet the other. */
const asOnItsOwnMachine = () => ({ XDG_RUNTIME_DIR: mkdtempSync(join(lab.runDir, 'run-')) })

beforeAll(async () => {
  await ensureRendererBuilt()
  await ensureCrds()
  const namespace = await createNamespace(unique('writer'))
  const args = ['--sync', '--namespace', namespace, '--mode', 'write', '--metrics-port', '0', '--interval', '60']
  writer = await startDaemon(args, asOnItsOwnMachine())
  await eventually(async () => /^sync {3}lab {2}syncing: .*holds the writer Lease/m.test(writer.output()), 'the first copy to write')
  watcher = await startDaemon(args, asOnItsOwnMachine())
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await page.goto(watcher.url)
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await Promise.all([writer?.stop(), watcher?.stop()])
})

describe('the Sync card of a copy that observes', () => {
  it('says which copy writes and since when, and takes over on request', async () => {
    const card = page.getByRole('region', { name: 'Sync' })
    const status = card.getByRole('status')
    await expect.poll(() => status.innerText(), POLL).toMatch(new RegExp(`^vault-tray \\S+ pid ${writer.child.pid} #\\w+ writes this kube-context \\(it holds the writer Lease \\S+/b0d477c0\\.hashicorp\\.com since .+\\)\\. This copy only observes`))
    expect(await card.innerText()).toContain('(observing only)')
    await page.screenshot({ path: join(SCREENSHOTS, 'overview-other-writer.png'), fullPage: true })

    // no storage VaultAuth in the operator namespace: the tokens live in memory, and both places say why
    const footer = page.getByRole('contentinfo', { name: 'Status' })
    await expect.poll(() => footer.innerText(), POLL).toMatch(/Client cache\s+in memory\s+Vault tokens are kept in memory only: no VaultAuth in vault-secrets-operator is labelled cacheStorageEncryption=true/)
    expect(await card.innerText()).toMatch(/Client cache\s+in memory Vault tokens are kept in memory only/)

    await card.getByRole('button', { name: 'Take over' }).click()
    await expect.poll(() => card.innerText(), POLL).toContain('(syncing)')
    expect(await status.count()).toBe(0)
    await eventually(async () => new RegExp(`^sync {3}lab {2}observing only: .*pid ${watcher.child.pid} #\\w+ holds the writer Lease`, 'm').test(writer.output()), 'the first copy to step back')
  })
})
