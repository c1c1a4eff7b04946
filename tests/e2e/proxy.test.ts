// The Proxy view, driven in Chromium against `daemon --proxy --ui` on the real lab, once on each server: KV reads
// through the proxy with a real token show up as requests, hit rate and top paths; how the cache is kept fresh is
// said as the server allows (Vault: its event stream; OpenBao: polling, and why); Clear cache empties it.
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureRendererBuilt } from '../../main/ui/renderer-build.ts'
import { unique, VAULT_SERVERS, type VaultServer } from '../integration/helpers.ts'
import { launchChromium, startDaemon, type DaemonUnderTest } from './daemon.ts'
import { VaultTrayPage } from './pages/vault-tray-page.ts'

const SCREENSHOTS = join(import.meta.dirname, 'screenshots')
const POLL = { timeout: 20_000, interval: 100 }
const password = `s3cr3t-${unique('pw')}`

function suite(server: VaultServer): void {
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
    await server.call('POST', `secret/data/${secret}`, { data: { password } })
    await server.call('PUT', `sys/policies/acl/${secret}`, { policy: `path "secret/data/${secret}" { capabilities = ["read"] }\npath "secret/metadata/${secret}" { capabilities = ["read"] }` })
    token = (await server.call<{ auth: { client_token: string } }>('POST', 'auth/token/create', { policies: [secret], ttl: '1h' })).auth.client_token
    // the user's own token (VAULT_TOKEN) subscribes to the server's event stream, where it has one
    daemon = await startDaemon(['--proxy', '--proxy-port', '0', '--interval', '60'], { VAULT_ADDR: server.address, VAULT_TOKEN: server.rootToken })
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
      await page.screenshot({ path: join(SCREENSHOTS, server.name === 'OpenBao' ? 'proxy.png' : 'proxy-vault.png'), fullPage: true })
    })

    it(server.name === 'Vault' ? "says the cache is kept fresh by Vault's event stream" : 'says the cache is kept fresh by polling, because OpenBao has no event stream', async () => {
      const expected = server.name === 'Vault' ? /^Vault's event stream: a change made elsewhere evicts at once$/ : /^polling, because .* has no event stream \(HTTP 404 from sys\/events\/subscribe\)/
      await expect.poll(() => field('Kept fresh by').innerText(), POLL).toMatch(expected)
    })

    it('clears the cache on request: the next read goes to Vault', async () => {
      await region('Cache').getByRole('button', { name: 'Clear cache' }).click()
      await expect.poll(() => region('Cache').getByRole('status').innerText(), POLL).toMatch(/^Cleared [1-9]\d* entr/)
      await expect.poll(() => field('Entries').innerText(), POLL).toBe('0')
      expect(await read()).toBe('MISS')
    })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
