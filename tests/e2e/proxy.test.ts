// The Proxy view, driven in Chromium against `daemon --proxy --ui` on the real lab: KV reads through the proxy
// with a real token show up as requests, hit rate and top paths; Clear cache empties it, so the next read misses.
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureRendererBuilt } from '../../main/ui/renderer-build.ts'
import { bao, unique } from '../integration/helpers.ts'
import { launchChromium, startDaemon, type DaemonUnderTest } from './daemon.ts'
import { VaultTrayPage } from './pages/vault-tray-page.ts'

const SCREENSHOTS = join(import.meta.dirname, 'screenshots')
const POLL = { timeout: 20_000, interval: 100 }
const password = `s3cr3t-${unique('pw')}`

let daemon: DaemonUnderTest
let browser: Browser
let page: Page
let proxyAddress: string
let token: string
let secret: string

const region = (name: string) => page.getByRole('region', { name })
const field = (name: string) => region('Cache').locator('dt', { hasText: new RegExp(`^${name}$`) }).locator('xpath=following-sibling::dd[1]')
const read = async () => (await fetch(`${proxyAddress}/v1/secret/data/${secret}`, { headers: { 'X-Vault-Token': token } })).headers.get('x-cache')

beforeAll(async () => {
  await ensureRendererBuilt()
  secret = unique('proxied')
  await bao('POST', `secret/data/${secret}`, { data: { password } })
  await bao('PUT', `sys/policies/acl/${secret}`, { policy: `path "secret/data/${secret}" { capabilities = ["read"] }\npath "secret/metadata/${secret}" { capabilities = ["read"] }` })
  token = (await bao<{ auth: { client_token: string } }>('POST', 'auth/token/create', { policies: [secret], ttl: '1h' })).auth.client_token
  daemon = await startDaemon(['--proxy', '--proxy-port', '0', '--interval', '60'])
  proxyAddress = /proxy {2}(http:\/\/127\.0\.0\.1:\d+)/.exec(daemon.output())![1]!
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.on('dialog', (dialog) => void dialog.accept())
  await page.goto(daemon.url)
  await new VaultTrayPage(page).goTo('Proxy')
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await daemon?.stop()
})

describe('the Proxy view', () => {
  it('shows where the proxy listens, as the export line to use', async () => {
    await expect.poll(() => region('Listening').innerText(), POLL).toContain(`export VAULT_ADDR=${proxyAddress}`)
  })

  it('counts the requests that pass, the hit rate and the busiest path', async () => {
    expect(await read()).toBe('MISS')
    expect(await read()).toBe('HIT')
    expect(await read()).toBe('HIT')
    await expect.poll(() => field('Requests').innerText(), POLL).toBe('3')
    expect(await field('Hit rate').innerText()).toBe('67 % (2 hits, 1 misses)')
    expect(Number(await field('Entries').innerText())).toBeGreaterThanOrEqual(1)
    const top = region('Top paths').getByRole('row').nth(1)
    expect(await top.innerText()).toMatch(new RegExp(`^secret/data/${secret}\\s+3\\s+2$`))
    expect(await page.content()).not.toContain(password)
    await page.screenshot({ path: join(SCREENSHOTS, 'proxy.png'), fullPage: true })
  })

  it('clears the cache on request: the next read goes to Vault', async () => {
    await region('Cache').getByRole('button', { name: 'Clear cache' }).click()
    await expect.poll(() => region('Cache').getByRole('status').innerText(), POLL).toMatch(/^Cleared [1-9]\d* entr/)
    await expect.poll(() => field('Entries').innerText(), POLL).toBe('0')
    expect(await read()).toBe('MISS')
  })
})
