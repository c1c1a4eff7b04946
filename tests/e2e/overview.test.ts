// Overview's details against the real lab, once on each server: the Vault (its version, active), the user's token
// (TTL and policies, never the token itself), VSO's CRDs in the cluster, VSO not running there, and the permissions
// VSO needs, as the admin of the lab has them.
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureRendererBuilt } from '../../main/ui/renderer-build.ts'
import { unique, VAULT_SERVERS, type VaultServer } from '../integration/helpers.ts'
import { ensureCrds } from '../integration/sync-helpers.ts'
import { launchChromium, startDaemon, type DaemonUnderTest } from './daemon.ts'
import { OverviewPage } from './pages/vault-tray-page.ts'

const SCREENSHOTS = join(import.meta.dirname, 'screenshots')
const POLL = { timeout: 20_000, interval: 100 }

function suite(server: VaultServer): void {
  let daemon: DaemonUnderTest
  let browser: Browser
  let page: Page
  let token: string
  let policy: string

  beforeAll(async () => {
    await ensureRendererBuilt()
    await ensureCrds()
    policy = unique('dev')
    await server.call('PUT', `sys/policies/acl/${policy}`, { policy: 'path "secret/data/*" { capabilities = ["read"] }' })
    token = (await server.call<{ auth: { client_token: string } }>('POST', 'auth/token/create', { policies: [policy], ttl: '2h', display_name: 'overview' })).auth.client_token
    daemon = await startDaemon(['--interval', '60'], { VAULT_ADDR: server.address, VAULT_TOKEN: token })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    await page.goto(daemon.url)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await daemon?.stop()
  })

  describe('Overview details', () => {
    it('shows the server, its version and role, and the token\'s TTL and policies, never the token', async () => {
      const overview = new OverviewPage(page)
      const { version } = await server.call<{ version: string }>('GET', 'sys/health')
      await expect.poll(() => overview.field(overview.vault, 'Version').innerText(), POLL).toBe(version)
      expect(await overview.field(overview.vault, 'Address').innerText()).toBe(server.address)
      expect(await overview.field(overview.vault, 'Role').innerText()).toBe('Active')
      await expect.poll(() => overview.field(overview.vault, 'Token').innerText(), POLL).toMatch(/^token-overview from VAULT_TOKEN: 1 h 5\d min left$/)
      expect(await overview.field(overview.vault, 'Policies').innerText()).toBe(`default, ${policy}`)
      expect(await page.content()).not.toContain(token)
    })

    it('shows VSO\'s CRDs installed, VSO not running, and the permissions VSO needs', async () => {
      const overview = new OverviewPage(page)
      await expect.poll(() => overview.field(overview.kubernetes, "VSO's CRDs").innerText(), POLL).toMatch(/^All \d+ installed$/)
      expect(await overview.field(overview.kubernetes, 'VSO in cluster').innerText()).toBe('Not running: Vault Tray syncs')
      expect(await overview.field(overview.kubernetes, 'Permissions').innerText()).toBe('All that VSO needs')
      await page.screenshot({ path: join(SCREENSHOTS, server.name === 'OpenBao' ? 'overview-details.png' : 'overview-details-vault.png'), fullPage: true })
    })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
