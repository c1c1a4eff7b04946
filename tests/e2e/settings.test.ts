// Settings, driven in Chromium against `daemon --ui` on the real lab: wrong fields are named inline and nothing
// is written, a good save lands in the settings file (0600) and survives a reload, and the theme applies at once.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureRendererBuilt } from '../../main/ui/renderer-build.ts'
import { lab } from '../integration/helpers.ts'
import { launchChromium, startDaemon, type DaemonUnderTest } from './daemon.ts'
import { VaultTrayPage } from './pages/vault-tray-page.ts'

const SCREENSHOTS = join(import.meta.dirname, 'screenshots')
const POLL = { timeout: 20_000, interval: 100 }

let daemon: DaemonUnderTest
let browser: Browser
let page: Page
let file: string

const form = () => page.getByRole('form', { name: 'Settings' })
const field = (label: string | RegExp) => form().getByLabel(label)
const saveButton = () => form().getByRole('button', { name: 'Save' })
const statusLine = () => form().getByRole('status')
const background = () => page.evaluate<string>('getComputedStyle(document.body).backgroundColor')

beforeAll(async () => {
  await ensureRendererBuilt()
  daemon = await startDaemon(['--interval', '60'])
  file = join(daemon.home, 'config', 'vault-tray', 'settings.json')
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await page.goto(daemon.url)
  await new VaultTrayPage(page).goTo('Settings')
  await field('Address').waitFor()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await daemon?.stop()
})

describe('Settings', () => {
  it('starts from the environment: the lab\'s Vault, and the kubeconfig\'s contexts to choose from', async () => {
    await expect.poll(() => field('Address').inputValue(), POLL).toBe(lab.openbao.address)
    const contexts = await field('Kube-context').locator('option').allInnerTexts()
    expect(contexts).toContain('lab')
    expect(existsSync(file)).toBe(false)
    await page.screenshot({ path: join(SCREENSHOTS, 'settings.png'), fullPage: true })
  })

  it('names each wrong field inline and writes nothing', async () => {
    await field('Address').fill('vault.example.com/v1')
    await field('Proxy port').fill('80')
    await field(/^Clear a copied value/).fill('soon')
    await saveButton().click()
    await expect.poll(() => statusLine().innerText(), POLL).toBe('Not saved: 3 fields need correcting.')
    for (const [label, words] of [['Address', /http\(s\):\/\/host:port/], ['Proxy port', /1024 to 65535/], [/^Clear a copied value/, /1 to 300/]] as const) {
      const input = field(label)
      expect(await input.getAttribute('aria-invalid')).toBe('true')
      const describedBy = await input.getAttribute('aria-describedby')
      expect(await page.locator(`#${describedBy}`).innerText()).toMatch(words)
    }
    expect(existsSync(file)).toBe(false)
    await page.screenshot({ path: join(SCREENSHOTS, 'settings-invalid.png'), fullPage: true })
  })

  it('saves good settings to a 0600 file that a reload reads back', async () => {
    await field('Address').fill(lab.openbao.address)
    await field('Proxy port').fill('18200')
    await field(/^Clear a copied value/).fill('30')
    await field('Kube-context').selectOption('lab')
    await saveButton().click()
    await expect.poll(() => statusLine().innerText(), POLL).toBe('Saved.')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ vaultAddress: lab.openbao.address, proxyPort: 18200, clipboardClearSeconds: 30, kubeContext: 'lab' })
    await page.reload()
    await expect.poll(() => field('Proxy port').inputValue(), POLL).toBe('18200')
    expect(await field(/^Clear a copied value/).inputValue()).toBe('30')
  })

  it('switches the theme at once, whatever the OS prefers', async () => {
    await page.emulateMedia({ colorScheme: 'light' })
    const light = await background()
    await field('Theme').selectOption('dark')
    await saveButton().click()
    await expect.poll(background, POLL).not.toBe(light)
    expect(await page.evaluate<string | undefined>('document.documentElement.dataset.theme')).toBe('dark')
    expect(JSON.parse(readFileSync(file, 'utf8')).theme).toBe('dark')
    await page.screenshot({ path: join(SCREENSHOTS, 'settings-dark.png'), fullPage: true })
    await field('Theme').selectOption('system')
    await saveButton().click()
    await expect.poll(background, POLL).toBe(light)
  })
})
