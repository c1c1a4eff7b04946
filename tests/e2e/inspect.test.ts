// Safe inspection, driven in Chromium against `daemon --sync --ui` on the real lab: values stay out of the page
// until revealed, copy gives the stored bytes and the clipboard is cleared again, KV history shows which keys
// changed, and the Secrets view opens a resource's Secret, YAML and events.
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Settings } from '../../main/contract/index.ts'
import { API_VERSION } from '../../main/engine/sync/api.ts'
import { ensureRendererBuilt } from '../../main/ui/renderer-build.ts'
import { bao, lab, unique } from '../integration/helpers.ts'
import { apply, createNamespace, ensureCrds, eventually, kubernetesAuth, kubernetesRole, readSecret } from '../integration/sync-helpers.ts'
import { launchChromium, startDaemon, type DaemonUnderTest } from './daemon.ts'
import { InspectPage } from './pages/inspect-page.ts'
import { SecretsPage, VaultTrayPage } from './pages/vault-tray-page.ts'

const POLL = { timeout: 20_000, interval: 100 }
const SCREENSHOTS = join(import.meta.dirname, 'screenshots')
const CLEAR_SECONDS = 3

// random test data: none of it may reach the page unless revealed
const password = `s3cr3t-${unique('pw')}`
const rotated = `r0tated-${unique('pw')}`
const apiKey = `k3y-${unique('api')}`
const binary = Buffer.concat([Buffer.from([0xff, 0x00, 0xfe]), randomBytes(61)])
const large = randomBytes(512 * 1024).toString('hex') // 1 MiB of text

let namespace: string
let kv: string
let daemon: DaemonUnderTest
let browser: Browser
let context: BrowserContext
let page: Page
let app: VaultTrayPage
let inspect: InspectPage
const frames: string[] = []

/** What the system clipboard holds, read as the page would (the tests' types have no DOM, hence the string). */
const clipboard = () => page.evaluate<string>('navigator.clipboard.readText()')
const secretTitle = () => `Secret ${namespace}/mixed`

beforeAll(async () => {
  await ensureRendererBuilt()
  await ensureCrds()
  const mount = await kubernetesAuth()
  namespace = await createNamespace(unique('inspect'), 'app')
  kv = unique('kv')
  await bao('POST', `sys/mounts/${kv}`, { type: 'kv', options: { version: '2' } })
  await bao('POST', `${kv}/data/app`, { data: { password, user: 'app' } })
  await bao('POST', `${kv}/data/app`, { data: { password: rotated, user: 'app', 'api-key': apiKey } })
  await bao('POST', `${kv}/data/big`, { data: { blob: large } })
  await bao('PUT', `sys/policies/acl/${kv}`, { policy: `path "${kv}/data/app" { capabilities = ["read"] }` })
  await kubernetesRole(mount, 'app', 'app', namespace, [kv])
  await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'mixed', namespace }, data: { password: Buffer.from(password).toString('base64'), cert: binary.toString('base64') } })
  await apply({ apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: 'conn', namespace }, spec: { address: lab.openbao.address } })
  await apply({ apiVersion: API_VERSION, kind: 'VaultAuth', metadata: { name: 'default', namespace }, spec: { vaultConnectionRef: 'conn', method: 'kubernetes', mount, kubernetes: { role: 'app', serviceAccount: 'app', audiences: ['vault'] } } })
  await apply({ apiVersion: API_VERSION, kind: 'VaultStaticSecret', metadata: { name: 'app', namespace }, spec: { type: 'kv-v2', mount: kv, path: 'app', vaultAuthRef: 'default', destination: { name: 'app-secret', create: true } } })

  // the user's settings, written before the daemon starts: the clipboard is cleared after 3 s
  const home = mkdtempSync(join(lab.runDir, 'inspect-home-'))
  mkdirSync(join(home, 'config', 'vault-tray'), { recursive: true })
  const settings: Settings = { vaultAddress: lab.openbao.address, vaultAuth: { method: 'token' }, proxyPort: 8100, cacheDir: join(home, 'cache'), notifications: false, theme: 'system', clipboardClearSeconds: CLEAR_SECONDS }
  writeFileSync(join(home, 'config', 'vault-tray', 'settings.json'), JSON.stringify(settings, null, 2))
  daemon = await startDaemon(['--sync', '--namespace', namespace, '--mode', 'write', '--metrics-port', '0', '--interval', '60'], {
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_DATA_HOME: join(home, 'data'),
    VAULT_TOKEN: lab.openbao.rootToken,
  })
  await eventually(async () => (await readSecret(namespace, 'app-secret'))?.password === rotated, 'the daemon to sync the resource')

  browser = await launchChromium()
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, permissions: ['clipboard-read', 'clipboard-write'] })
  page = await context.newPage()
  page.on('websocket', (socket) => {
    socket.on('framereceived', (frame) => frames.push(String(frame.payload)))
    socket.on('framesent', (frame) => frames.push(String(frame.payload)))
  })
  app = new VaultTrayPage(page)
  inspect = new InspectPage(page)
  await app.open(daemon.url)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await daemon?.stop()
})

/** Neither the page source nor anything the socket carried holds these values. */
async function expectNowhere(...values: string[]): Promise<void> {
  const html = await page.content()
  for (const value of values) expect(html).not.toContain(value)
}

describe('inspecting a Kubernetes Secret', () => {
  it('lists its keys masked, with sizes and the binary one flagged; no value in the page source or on the socket', async () => {
    await app.goTo('Inspect')
    await inspect.heading.waitFor()
    await inspect.inspectSecret(namespace, 'mixed')
    await inspect.keys(secretTitle()).waitFor()
    expect(page.url()).toContain(`#/inspect/${encodeURIComponent(`secret:${namespace}/mixed`)}`)
    expect(await inspect.size(secretTitle(), 'password').innerText()).toBe(`${password.length} B`)
    expect(await inspect.size(secretTitle(), 'cert').innerText()).toBe('64 B · binary')
    expect(await inspect.valueCell(secretTitle(), 'password').innerText()).toBe('••••••••')
    await expectNowhere(password, binary.toString('base64'), Buffer.from(password).toString('base64'))
    for (const frame of frames) expect(frame).not.toContain(Buffer.from(password).toString('base64'))
    for (const frame of frames) expect(frame).not.toContain(password)
    await page.screenshot({ path: join(SCREENSHOTS, 'inspect.png'), fullPage: true })
  })

  it('shows a value on Reveal and takes it out of the DOM on Hide', async () => {
    await inspect.reveal(secretTitle(), 'password')
    await expect.poll(() => inspect.value(secretTitle(), 'password').innerText(), POLL).toBe(password)
    await inspect.hide(secretTitle(), 'password')
    await expect.poll(() => inspect.value(secretTitle(), 'password').count(), POLL).toBe(0)
    await expectNowhere(password)
  })

  it('hides revealed values when the user leaves the view', async () => {
    await inspect.reveal(secretTitle(), 'password')
    await inspect.value(secretTitle(), 'password').waitFor()
    await app.goToSecrets()
    await page.goBack()
    await inspect.keys(secretTitle()).waitFor()
    expect(await inspect.valueCell(secretTitle(), 'password').innerText()).toBe('••••••••')
    await expectNowhere(password)
  })

  it('copies exactly the stored bytes without showing them, and clears the clipboard after the configured seconds', async () => {
    await inspect.copy(secretTitle(), 'password')
    await expect.poll(clipboard, POLL).toBe(password)
    await expectNowhere(password)
    expect(await inspect.copyStatus.innerText()).toContain(`cleared in ${CLEAR_SECONDS} s`)
    const copiedAt = Date.now()
    await expect.poll(clipboard, { timeout: (CLEAR_SECONDS + 10) * 1000, interval: 200 }).toBe('')
    expect(Date.now() - copiedAt).toBeGreaterThan((CLEAR_SECONDS - 1) * 1000)
    await expect.poll(() => inspect.copyStatus.innerText(), POLL).toContain('cleared again')
  })

  it('copies a binary value as base64 and says so; revealing it shows base64 too', async () => {
    await inspect.copy(secretTitle(), 'cert')
    await expect.poll(clipboard, POLL).toBe(binary.toString('base64'))
    expect(await inspect.copyStatus.innerText()).toContain('as base64')
    await expectNowhere(binary.toString('base64'))
    await inspect.reveal(secretTitle(), 'cert')
    await expect.poll(() => inspect.value(secretTitle(), 'cert').innerText(), POLL).toBe(binary.toString('base64'))
    expect(await inspect.valueCell(secretTitle(), 'cert').innerText()).toMatch(/^base64/)
    await inspect.hide(secretTitle(), 'cert')
  })
})

describe('inspecting a Vault KV path', () => {
  it('truncates a 1 MiB value on screen with a note, while Copy yields all of it', async () => {
    const title = `${kv}/big`
    await inspect.inspectKv(kv, 'big')
    await inspect.keys(title).waitFor()
    expect(await inspect.size(title, 'blob').innerText()).toBe('1.0 MiB')
    await inspect.reveal(title, 'blob')
    await expect.poll(() => inspect.value(title, 'blob').innerText(), POLL).toBe(large.slice(0, 4096))
    expect(await inspect.valueCell(title, 'blob').innerText()).toMatch(/Truncated: showing the first 4,096 characters of 1\.0 MiB\. Copy takes the whole value\./)
    await inspect.copy(title, 'blob')
    await expect.poll(async () => (await clipboard()).length, POLL).toBe(large.length)
    expect(await clipboard()).toBe(large)
    await inspect.hide(title, 'blob')
    expect(await page.content()).not.toContain(large.slice(0, 4096))
  })

  it('shows which keys each version changed, never their values', async () => {
    const title = `${kv}/app`
    await inspect.inspectKv(kv, 'app')
    await inspect.history(title).waitFor()
    expect(await inspect.change(title, 2).innerText()).toBe('Against version 1: changed password; added api-key.')
    expect(await inspect.change(title, 1).innerText()).toBe('First version kept: password, user.')
    expect(await page.getByText(`KV v2, version 2 of 2`).count()).toBe(1)
    await expectNowhere(password, rotated, apiKey)
    await page.screenshot({ path: join(SCREENSHOTS, 'inspect-history.png'), fullPage: true })

    await inspect.showVersion(title, 1)
    await expect.poll(() => page.getByText('KV v2, version 1 of 2').count(), POLL).toBe(1)
    expect(await inspect.keys(title).getByRole('rowheader').allInnerTexts()).toEqual(['password', 'user'])
    await inspect.reveal(title, 'password')
    await expect.poll(() => inspect.value(title, 'password').innerText(), POLL).toBe(password)
    await inspect.hide(title, 'password')
  })

  it('says clearly what is wrong with a path that holds nothing, and with a malformed one', async () => {
    await inspect.inspectKv(kv, 'nothing-here')
    await expect.poll(() => page.getByRole('alert').innerText(), POLL).toMatch(new RegExp(`${kv}/data/nothing-here.*404.*Check the mount and the path`))
    await inspect.inspectKv(kv, '../escape')
    expect(await inspect.form.getByText(/A path names a secret under the mount/).count()).toBe(1)
    expect(await inspect.form.getByRole('textbox', { name: 'Path' }).getAttribute('aria-invalid')).toBe('true')
  })
})

describe('the Secrets view', () => {
  it('opens the Secret a resource writes', async () => {
    const secrets = await app.goToSecrets()
    await expect.poll(() => secrets.cell('app', 'State').innerText(), POLL).toBe('Synced')
    await secrets.inspect('app')
    const title = `Secret ${namespace}/app-secret`
    await inspect.keys(title).waitFor()
    expect(await inspect.keys(title).getByRole('rowheader').allInnerTexts()).toEqual(expect.arrayContaining(['api-key', 'password', 'user']))
    await expectNowhere(rotated, apiKey)
  })

  it('shows a resource\'s YAML as the apiserver has it, without managedFields, and closes it', async () => {
    const secrets = await app.goToSecrets()
    const dialog = await secrets.openYaml('app')
    expect(await dialog.getByRole('heading').innerText()).toBe(`YAML of VaultStaticSecret ${namespace}/app`)
    const yaml = dialog.getByLabel('YAML')
    await expect.poll(() => yaml.innerText(), POLL).toContain('kind: VaultStaticSecret')
    const text = await yaml.innerText()
    expect(text).toContain(`namespace: ${namespace}`)
    expect(text).toContain(`mount: ${kv}`)
    expect(text).toMatch(/status:/)
    expect(text).not.toContain('managedFields')
    await page.screenshot({ path: join(SCREENSHOTS, 'secrets-yaml.png') })
    await dialog.getByRole('button', { name: 'Close' }).click()
    await expect.poll(() => dialog.count(), POLL).toBe(0)
  })

  it('jumps to the events of a resource', async () => {
    const secrets = new SecretsPage(page)
    await secrets.events('app')
    await expect.poll(() => decodeURIComponent(new URL(page.url()).hash), POLL).toBe(`#/events?resource=VaultStaticSecret/${namespace}/app`)
    await page.getByRole('heading', { name: 'Events', level: 1 }).waitFor()
  })
})
