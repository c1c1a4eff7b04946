// The command palette and keyboard navigation, against `daemon --sync --ui` on the lab's OpenBao and apiserver with
// one synced VaultStaticSecret: Ctrl+K, filtering, Sync now from the palette (a new value in Vault reaches the
// Secret), Alt+1 … Alt+9, Escape returning focus, a skip link, and an accessible name on every control of every view.
import { join } from 'node:path'
import type { Browser, CDPSession, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_VERSION } from '../../main/engine/sync/api.ts'
import { ensureRendererBuilt } from '../../main/ui/renderer-build.ts'
import { bao, lab, unique } from '../integration/helpers.ts'
import { apply, createNamespace, ensureCrds, eventually, kubernetesAuth, kubernetesRole, readSecret } from '../integration/sync-helpers.ts'
import { launchChromium, startDaemon, type DaemonUnderTest } from './daemon.ts'
import { hasFocus, PalettePage } from './pages/palette-page.ts'
import { SecretsPage, VaultTrayPage } from './pages/vault-tray-page.ts'

/** The engine reconciles in its own time, slower on a busy machine: wait for what it reports. */
const POLL = { timeout: 20_000, interval: 100 }
const SCREENSHOTS = join(import.meta.dirname, 'screenshots')

/** The navigation's views in order, as Alt+1 … Alt+9 reach them. */
const VIEWS = [
  { view: 'overview', label: 'Overview' },
  { view: 'secrets', label: 'Secrets' },
  { view: 'why', label: 'Why not synced' },
  { view: 'leases', label: 'Leases' },
  { view: 'events', label: 'Events' },
  { view: 'inspect', label: 'Inspect' },
  { view: 'proxy', label: 'Proxy' },
  { view: 'settings', label: 'Settings' },
  { view: 'lab', label: 'Lab' },
]

/** The roles a user operates; each must have a name a screen reader can say. */
const INTERACTIVE = new Set(['button', 'link', 'textbox', 'searchbox', 'combobox', 'listbox', 'option', 'checkbox', 'radio', 'switch', 'slider', 'spinbutton', 'tab', 'menuitem', 'menuitemcheckbox', 'menuitemradio', 'treeitem'])

let namespace: string
let kv: string
let daemon: DaemonUnderTest
let browser: Browser
let page: Page
let app: VaultTrayPage
let palette: PalettePage
const resource = () => `VaultStaticSecret ${namespace}/app`

beforeAll(async () => {
  await ensureRendererBuilt()
  await ensureCrds()
  const mount = await kubernetesAuth()
  namespace = await createNamespace(unique('palette'), 'app')
  kv = unique('kv')
  await bao('POST', `sys/mounts/${kv}`, { type: 'kv', options: { version: '2' } })
  await bao('POST', `${kv}/data/app`, { data: { password: `first-${unique('value')}` } })
  await bao('PUT', `sys/policies/acl/${kv}`, { policy: `path "${kv}/data/app" { capabilities = ["read"] }` })
  await kubernetesRole(mount, 'app', 'app', namespace, [kv])
  await apply({ apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: 'conn', namespace }, spec: { address: lab.openbao.address } })
  await apply({ apiVersion: API_VERSION, kind: 'VaultAuth', metadata: { name: 'default', namespace }, spec: { vaultConnectionRef: 'conn', method: 'kubernetes', mount, kubernetes: { role: 'app', serviceAccount: 'app', audiences: ['vault'] } } })
  await apply({ apiVersion: API_VERSION, kind: 'VaultStaticSecret', metadata: { name: 'app', namespace }, spec: { type: 'kv-v2', mount: kv, path: 'app', vaultAuthRef: 'default', destination: { name: 'app-secret', create: true } } })

  // a long interval: only Sync now brings a new value over within the test's time
  daemon = await startDaemon(['--sync', '--namespace', namespace, '--mode', 'write', '--metrics-port', '0', '--interval', '600'])
  await eventually(async () => (await readSecret(namespace, 'app-secret'))?.password !== undefined, 'the daemon to sync the resource')

  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  app = new VaultTrayPage(page)
  palette = new PalettePage(page)
  await app.open(daemon.url)
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor()
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await daemon?.stop()
})

/** What the browser computes for every control on the page: role, accessible name, and the element for a message. */
async function controls(cdp: CDPSession): Promise<{ role: string; name: string; element: string }[]> {
  const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: { ignored: boolean; role?: { value: string }; name?: { value: string }; backendDOMNodeId?: number }[] }
  const found = nodes.filter((node) => !node.ignored && INTERACTIVE.has(node.role?.value ?? ''))
  return Promise.all(
    found.map(async (node) => {
      const name = String(node.name?.value ?? '').trim()
      let element = ''
      if (!name && node.backendDOMNodeId) {
        const { object } = await cdp.send('DOM.resolveNode', { backendNodeId: node.backendDOMNodeId })
        const { result } = await cdp.send('Runtime.callFunctionOn', { objectId: object.objectId, functionDeclaration: 'function () { return this.outerHTML.slice(0, 160) }', returnByValue: true })
        element = String(result.value)
      }
      return { role: node.role!.value, name, element }
    }),
  )
}

describe('the command palette', () => {
  it('opens on Ctrl+K as a modal dialog with the combobox focused, and Escape gives focus back', async () => {
    const secretsLink = app.navigation.getByRole('link', { name: 'Secrets' })
    await secretsLink.focus()
    await palette.openWithKeyboard()
    expect(await palette.dialog.getAttribute('aria-modal')).toBe('true')
    await expect.poll(() => hasFocus(palette.combobox)).toBe(true)
    // the rest of the page is inert while it is open: Tab stays inside the dialog
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('Tab')
      expect(await page.evaluate("document.activeElement?.closest('dialog') !== null || document.activeElement === document.body")).toBe(true)
    }
    await palette.combobox.focus()
    await page.keyboard.press('Escape')
    await palette.dialog.waitFor({ state: 'hidden' })
    expect(await hasFocus(secretsLink)).toBe(true)
  })

  it('lists every view with its shortcut, and the resource\'s commands', async () => {
    await palette.openButton.click()
    await palette.dialog.waitFor()
    await expect.poll(() => palette.optionNames(), POLL).toContain(`Sync now ${resource()}`)
    const names = await palette.optionNames()
    expect(names.slice(0, VIEWS.length)).toEqual(VIEWS.map((item, index) => `Go to ${item.label} Alt+${index + 1}`))
    for (const command of [`Pause ${resource()}`, `Why not synced ${resource()}`, `Inspect Secret ${namespace}/app-secret`, `Events of ${resource()}`]) expect(names).toContain(command)
    await page.keyboard.press('Escape')
    await palette.dialog.waitFor({ state: 'hidden' })
    expect(await hasFocus(palette.openButton)).toBe(true)
  })

  it('filters as the user types, announces the active option, and Enter on "Sync now" brings a new value from Vault', async () => {
    const rotated = `rotated-${unique('value')}`
    await bao('POST', `${kv}/data/app`, { data: { password: rotated } })
    expect((await readSecret(namespace, 'app-secret'))?.password).not.toBe(rotated)

    await palette.openWithKeyboard()
    const all = (await palette.optionNames()).length
    await palette.type('sync now app')
    await expect.poll(() => palette.optionNames()).toEqual([`Sync now ${resource()}`])
    expect(all).toBeGreaterThan(VIEWS.length + 4)
    expect(await palette.activeOption()).toBe(`Sync now ${resource()}`)

    // arrows move the active option, and the combobox says which one
    await palette.type('go to')
    await expect.poll(() => palette.activeOption()).toBe('Go to Overview')
    await page.keyboard.press('ArrowDown')
    expect(await palette.activeOption()).toBe('Go to Secrets')
    await page.keyboard.press('ArrowUp')
    await page.keyboard.press('ArrowUp')
    expect(await palette.activeOption()).toBe('Go to Lab')

    await palette.type('sync app')
    await expect.poll(() => palette.activeOption()).toBe(`Sync now ${resource()}`)
    await page.screenshot({ path: join(SCREENSHOTS, 'palette.png') })
    await page.keyboard.press('Enter')
    await palette.dialog.waitFor({ state: 'hidden' })
    await eventually(async () => (await readSecret(namespace, 'app-secret'))?.password === rotated, 'Sync now from the palette to write the new value')
  })

  it('runs a navigation command: the resource\'s events open filtered to it', async () => {
    await palette.openWithKeyboard()
    await palette.type(`events ${namespace}/app`)
    await expect.poll(() => palette.activeOption()).toBe(`Events of ${resource()}`)
    await page.keyboard.press('Enter')
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/events?resource=${encodeURIComponent(`VaultStaticSecret/${namespace}/app`)}`)
  })
})

describe('keyboard navigation', () => {
  it('goes to each view with Alt+1 … Alt+9', async () => {
    await page.keyboard.press('Alt+2')
    const secrets = new SecretsPage(page)
    await secrets.heading.waitFor()
    await expect.poll(() => secrets.cell('app', 'State').innerText(), POLL).toBe('Synced')
    expect(new URL(page.url()).hash).toBe('#/secrets')
    for (const [index, item] of VIEWS.entries()) {
      await page.keyboard.press(`Alt+${index + 1}`)
      await expect.poll(() => new URL(page.url()).hash).toBe(`#/${item.view}`)
      // the hash changes first; the view follows on the next render
      await expect.poll(() => app.navigation.getByRole('link', { name: new RegExp(`^${item.label}`) }).getAttribute('aria-current')).toBe('page')
    }
  })

  it('offers a skip link first, which takes focus to the main content', async () => {
    await page.keyboard.press('Alt+1')
    // from a freshly loaded page, the first Tab
    await page.reload()
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor()
    await page.keyboard.press('Tab')
    const skip = page.getByRole('link', { name: 'Skip to main content' })
    expect(await hasFocus(skip)).toBe(true)
    expect(await skip.isVisible()).toBe(true)
    await page.keyboard.press('Enter')
    expect(await page.evaluate('document.activeElement?.tagName')).toBe('MAIN')
    expect(new URL(page.url()).hash).toBe('#/overview')
  })

  it('fits the header on one line at 1280 px and wraps it without scrolling sideways when narrow', async () => {
    const links = await app.navigation.getByRole('link').all()
    expect(links).toHaveLength(VIEWS.length)
    const tops = await Promise.all(links.map(async (link) => (await link.boundingBox())!.y))
    expect(new Set(tops).size).toBe(1)
    const button = (await palette.openButton.boundingBox())!
    expect(button.x + button.width).toBeLessThanOrEqual(1280)
    await page.setViewportSize({ width: 560, height: 800 })
    expect(await page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).toBe(true)
    for (const link of links) expect(await link.isVisible()).toBe(true)
    await page.screenshot({ path: join(SCREENSHOTS, 'header-narrow.png') })
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  it('gives every button, link and input in every view an accessible name', async () => {
    const cdp = await page.context().newCDPSession(page)
    const unnamed: string[] = []
    let seen = 0
    for (const [index, item] of VIEWS.entries()) {
      await page.keyboard.press(`Alt+${index + 1}`)
      await page.getByRole('main').getByRole('heading', { level: 1 }).first().waitFor()
      // the view's data arrives after its heading: wait until its controls stop changing
      let previous = -1
      let found = await controls(cdp)
      await expect.poll(async () => {
        previous = found.length
        found = await controls(cdp)
        return found.length === previous
      }, POLL).toBe(true)
      seen += found.length
      for (const control of found) if (!control.name) unnamed.push(`${item.label}: ${control.role} ${control.element}`)
    }
    await palette.openWithKeyboard()
    const inPalette = await controls(cdp)
    expect(inPalette.filter((control) => control.role === 'option').length).toBeGreaterThan(VIEWS.length)
    for (const control of inPalette) if (!control.name) unnamed.push(`palette: ${control.role} ${control.element}`)
    await page.keyboard.press('Escape')
    // the nav's nine links, the palette button and the skip link in each view at least
    expect(seen).toBeGreaterThanOrEqual(VIEWS.length * (VIEWS.length + 2))
    expect(unnamed).toEqual([])
  })
})
