// The window in a browser: `vault-tray daemon --sync --ui` runs as a subprocess against the lab's OpenBao and
// kube-apiserver, and Chromium drives the page it serves, as a user would.
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureRendererBuilt } from '../../main/ui/renderer-build.ts'
import { bao, lab, unique } from '../integration/helpers.ts'
import { eventually, readSecret } from '../integration/sync-helpers.ts'
import { launchChromium, startDaemon, type DaemonUnderTest } from './daemon.ts'
import { syncedNamespace } from './fixtures.ts'
import { OverviewPage, SecretsPage, VaultTrayPage } from './pages/vault-tray-page.ts'

/** The engine reconciles in its own time, slower on a busy machine: wait for what it reports. */
const POLL = { timeout: 20_000, interval: 100 }

const SCREENSHOTS = join(import.meta.dirname, 'screenshots')
const secretValue = `s3cr3t-${unique('value')}`
const rotatedValue = `r0tated-${unique('value')}`

let namespace: string
let kv: string
let daemon: DaemonUnderTest
let url: string
let browser: Browser
let page: Page
let app: VaultTrayPage
const frames: string[] = []
const consoleErrors: string[] = []

beforeAll(async () => {
  await ensureRendererBuilt()
  const fixture = await syncedNamespace('window', [
    { name: 'app', data: { password: secretValue }, readable: true },
    { name: 'forbidden', data: { password: secretValue }, readable: false },
  ])
  namespace = fixture.namespace
  kv = fixture.kv
  daemon = await startDaemon(['--sync', '--namespace', namespace, '--mode', 'write', '--metrics-port', '0', '--interval', '60'])
  url = daemon.url
  await eventually(async () => (await readSecret(namespace, 'app-secret'))?.password === secretValue, 'the daemon to sync the good resource')

  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()))
  page.on('websocket', (socket) => {
    socket.on('framereceived', (frame) => frames.push(String(frame.payload)))
    socket.on('framesent', (frame) => frames.push(String(frame.payload)))
  })
  app = new VaultTrayPage(page)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await daemon?.stop()
})

describe('the window, served by `daemon --sync --ui`', () => {
  it('refuses a wrong token with 401; without the token the page says how to connect, and shows no data', async () => {
    const origin = new URL(url).origin
    const stranger = await browser.newPage()
    try {
      const wrong = await stranger.goto(`${origin}/?token=wrong`)
      expect(wrong!.status()).toBe(401)
      expect(await stranger.locator('body').innerText()).toMatch(/^401: /)

      await stranger.goto(`${origin}/`)
      await expect.poll(() => stranger.getByRole('alert').innerText()).toMatch(/Open the address that `vault-tray daemon --ui` printed, token included/)
      expect(await stranger.locator('body').innerText()).not.toContain(namespace)
      await expect(stranger.getByRole('navigation').count()).resolves.toBe(0)
      await stranger.screenshot({ path: join(SCREENSHOTS, 'refused-401.png') })
    } finally {
      await stranger.close()
    }
  })

  it("keeps no cookie: the page secret lives in this origin's storage, and the WebSocket wants it", async () => {
    const page = await browser.newPage()
    try {
      await page.goto(url)
      await new OverviewPage(page).heading.waitFor()
      expect(await page.context().cookies()).toEqual([])
      expect(page.url()).not.toContain('token=')
      const secret = await page.evaluate(() => localStorage.getItem('vault-tray-page'))
      expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/)
      // a page of this origin that offers no secret is refused, as one of another site would be
      const refused = await page.evaluate(
        (host) =>
          new Promise<string>((resolve) => {
            const socket = new WebSocket(`ws://${host}/api`)
            socket.onopen = () => resolve('open')
            socket.onerror = () => resolve('refused')
          }),
        new URL(url).host,
      )
      expect(refused).toBe('refused')
    } finally {
      await page.close()
    }
  })

  it('opens on the Overview: the lab\'s OpenBao version and the kube-context, under a strict CSP', async () => {
    const response = await page.goto(url)
    // the token left the address bar and the history
    expect(page.url()).not.toContain('token=')
    const csp = response!.headers()['content-security-policy']!
    expect(csp).toMatch(/^default-src 'none'; script-src 'self'; style-src 'self';/)
    expect(csp).toContain(`connect-src ws://${new URL(url).host};`)
    expect(csp).not.toMatch(/unsafe|\*|https?:/)

    const { version } = await bao<{ version: string }>('GET', 'sys/health')
    const overview = new OverviewPage(page)
    await overview.heading.waitFor()
    await expect.poll(() => overview.field(overview.vault, 'Version').innerText(), POLL).toBe(version)
    expect(await overview.field(overview.vault, 'Address').innerText()).toBe(lab.openbao.address)
    expect(await overview.vault.getByText('Healthy').count()).toBe(1)
    expect(await overview.field(overview.kubernetes, 'Context').innerText()).toBe('lab')
    expect(await overview.kubernetes.getByText('Reachable').count()).toBe(1)
    await expect.poll(() => overview.sync.innerText(), POLL).toContain('1 not synced')
    await page.screenshot({ path: join(SCREENSHOTS, 'overview.png'), fullPage: true })
  })

  it('lists the synced VaultStaticSecret and the failing one on Secrets', async () => {
    const secrets = await app.goToSecrets()
    await secrets.heading.waitFor()
    await expect.poll(() => secrets.cell('app', 'State').innerText(), POLL).toBe('Synced')
    expect(await secrets.row('app').getByRole('rowheader').innerText()).toMatch(/VaultStaticSecret\s+app/)
    expect(await secrets.cell('app', 'Namespace').innerText()).toBe(namespace)
    expect(await secrets.cell('app', 'Destination').innerText()).toBe('app-secret')
    expect(await secrets.cell('app', 'Last sync').innerText()).toMatch(/just now|s ago/)
    expect(await secrets.cell('app', 'Drift').innerText()).toBe('None')
    await expect.poll(() => secrets.cell('forbidden', 'State').innerText(), POLL).toBe('Failing')
    expect(await secrets.cell('forbidden', 'Destination').innerText()).toBe('forbidden-secret')
    expect(await secrets.cell('forbidden', 'Error').innerText()).toMatch(/permission|polic/i)
    await page.screenshot({ path: join(SCREENSHOTS, 'secrets.png'), fullPage: true })
  })

  it('explains on Why not synced the cause and fix the engine found, with its evidence one click away', async () => {
    const why = await new SecretsPage(page).whyNotSynced('forbidden')
    await why.heading.waitFor()
    const title = `VaultStaticSecret ${namespace}/forbidden`
    const card = why.resource(title)
    // the daemon prints the same diagnosis: cause, then fix
    const printed = [...daemon.output().matchAll(new RegExp(`sync   VaultStaticSecret/${namespace}/forbidden  failing: (.+)`, 'g'))].at(-1)?.[1]
    expect(printed).toBeTruthy()
    const sentence = await card.getByRole('paragraph').first().innerText()
    expect(sentence.replace(/\s+/g, ' ')).toBe(printed!.trim().replace(/\s+/g, ' '))
    const evidence = await why.showEvidence(title)
    expect(await evidence.getByRole('listitem').first().innerText()).toMatch(/403|permission denied/i)
    await page.screenshot({ path: join(SCREENSHOTS, 'why-not-synced.png'), fullPage: true })
  })

  it('syncs a resource now on request: a new value in Vault reaches its Secret', async () => {
    await bao('POST', `${kv}/data/app`, { data: { password: rotatedValue } })
    const secrets = await app.goToSecrets()
    await secrets.table.waitFor()
    expect((await readSecret(namespace, 'app-secret'))?.password).toBe(secretValue)
    await secrets.syncNow('app')
    await eventually(async () => (await readSecret(namespace, 'app-secret'))?.password === rotatedValue, 'sync now to write the new value')
    await expect.poll(() => secrets.cell('app', 'State').innerText(), POLL).toBe('Synced')
  })

  it('pauses and resumes a resource', async () => {
    const secrets = new SecretsPage(page)
    await secrets.togglePause('app')
    await expect.poll(() => secrets.cell('app', 'State').innerText(), POLL).toBe('Paused')
    expect(await secrets.row('app').getByRole('button', { name: /^Sync now/ }).isDisabled()).toBe(true)
    await secrets.togglePause('app')
    await expect.poll(() => secrets.cell('app', 'State').innerText(), POLL).toBe('Synced')
  })

  it('shows the same in dark mode', async () => {
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.screenshot({ path: join(SCREENSHOTS, 'secrets-dark.png'), fullPage: true })
    await page.emulateMedia({ colorScheme: 'light' })
  })

  it('never puts a secret value in the page or on the WebSocket, and breaks no CSP rule', async () => {
    for (const view of [() => app.goToOverview(), () => app.goToSecrets(), () => app.goToWhyNotSynced()]) {
      await view()
      const html = await page.content()
      expect(html).not.toContain(secretValue)
      expect(html).not.toContain(rotatedValue)
    }
    expect(frames.length).toBeGreaterThan(0)
    for (const frame of frames) {
      expect(frame).not.toContain(secretValue)
      expect(frame).not.toContain(rotatedValue)
    }
    expect(consoleErrors.filter((text) => /Content Security Policy|Refused to/i.test(text))).toEqual([])
  })

  it('says when the engine is gone', async () => {
    await daemon.stop()
    await app.connectionAlert.waitFor()
    await page.screenshot({ path: join(SCREENSHOTS, 'disconnected.png'), fullPage: true })
  })
})
