// Leases, driven in Chromium against `daemon --sync --ui` on the real lab: a VaultDynamicSecret on the lab's
// PostgreSQL shows a live countdown and the workload its rotation restarts; Renew extends the lease in Vault,
// Revoke ends it and new credentials that log in replace it; a lease at its max TTL is flagged before it ends.
import { join } from 'node:path'
import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_VERSION } from '../../main/engine/sync/api.ts'
import { ensureRendererBuilt } from '../../main/ui/renderer-build.ts'
import { bao, canLogIn, databaseRole, lab, unique } from '../integration/helpers.ts'
import { apply, createNamespace, ensureCrds, eventually, kubernetesAuth, kubernetesRole, readResource, readSecret } from '../integration/sync-helpers.ts'
import { launchChromium, startDaemon, type DaemonUnderTest } from './daemon.ts'
import { VaultTrayPage } from './pages/vault-tray-page.ts'

const SCREENSHOTS = join(import.meta.dirname, 'screenshots')
const POLL = { timeout: 20_000, interval: 200 }

let namespace: string
let daemon: DaemonUnderTest
let browser: Browser
let page: Page

const table = () => page.getByRole('table', { name: 'Leases' })
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const row = (owner: string): Locator => table().getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${escape(owner)}`) }) })
const cell = (owner: string, column: 'State' | 'TTL' | 'Renewable' | 'Next renewal' | 'Max TTL in' | 'Restarts') =>
  row(owner).getByRole('cell').nth(['State', 'TTL', 'Renewable', 'Next renewal', 'Max TTL in', 'Restarts'].indexOf(column))
const leaseOf = async (name: string) => (await readResource<{ status?: { secretLease?: { id: string } } }>('VaultDynamicSecret', namespace, name)).status?.secretLease?.id
const lookup = (leaseId: string) => bao<{ data: { expire_time: string } }>('PUT', 'sys/leases/lookup', { lease_id: leaseId })
/** "59 min 58 s" → seconds. */
const seconds = (text: string) => [...text.matchAll(/(\d+) (h|min|s)/g)].reduce((sum, [, n, unit]) => sum + Number(n) * (unit === 'h' ? 3600 : unit === 'min' ? 60 : 1), 0)

beforeAll(async () => {
  await ensureRendererBuilt()
  await ensureCrds()
  const mount = await kubernetesAuth()
  namespace = await createNamespace(unique('leases'), 'app')
  const db = await databaseRole({ default_ttl: '1h', max_ttl: '24h' })
  // Vault caps this one's leases at the mount's max TTL: a renewal can never extend it
  const capped = await databaseRole({ default_ttl: '2h', max_ttl: '2h' })
  await bao('POST', `sys/mounts/${capped.split('/')[0]}/tune`, { max_lease_ttl: '1h' })
  const policy = unique('leases')
  await bao('PUT', `sys/policies/acl/${policy}`, { policy: `path "${db}" { capabilities = ["read"] }\npath "${capped}" { capabilities = ["read"] }\npath "sys/leases/renew" { capabilities = ["update"] }` })
  await kubernetesRole(mount, 'app', 'app', namespace, [policy])
  await apply({ apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: 'conn', namespace }, spec: { address: lab.openbao.address } })
  await apply({ apiVersion: API_VERSION, kind: 'VaultAuth', metadata: { name: 'auth', namespace }, spec: { vaultConnectionRef: 'conn', method: 'kubernetes', mount, kubernetes: { role: 'app', serviceAccount: 'app', audiences: ['vault'] } } })
  await apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'db-app', namespace }, spec: { selector: { matchLabels: { app: 'db-app' } }, template: { metadata: { labels: { app: 'db-app' } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } } } })
  for (const [name, path, spec] of [['db', db, { rolloutRestartTargets: [{ kind: 'Deployment', name: 'db-app' }] }], ['capped', capped, {}]] as const) {
    await apply({ apiVersion: API_VERSION, kind: 'VaultDynamicSecret', metadata: { name, namespace }, spec: { mount: path.split('/')[0], path: path.split('/').slice(1).join('/'), vaultAuthRef: 'auth', destination: { name, create: true }, ...spec } })
  }
  // the user's token: may do everything, and expires in an hour, so the view lists it too
  const { auth } = await bao<{ auth: { client_token: string } }>('POST', 'auth/token/create', { policies: ['root'], ttl: '1h', display_name: 'dev' })
  daemon = await startDaemon(['--sync', '--namespace', namespace, '--mode', 'write', '--metrics-port', '0', '--interval', '60'], { VAULT_TOKEN: auth.client_token })
  await eventually(async () => (await readSecret(namespace, 'db'))?.username && (await readSecret(namespace, 'capped'))?.username, 'both dynamic secrets to sync')

  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.on('dialog', (dialog) => void dialog.accept())
  await page.goto(daemon.url)
  await new VaultTrayPage(page).goTo('Leases')
  await table().waitFor()
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await daemon?.stop()
})

describe('Leases', () => {
  it('lists each lease with a live countdown, renewable, and the workloads its rotation restarts', async () => {
    const owner = `VaultDynamicSecret ${namespace}/db`
    await expect.poll(() => cell(owner, 'Renewable').innerText(), POLL).toBe('Yes')
    expect(await cell(owner, 'Restarts').innerText()).toBe('Deployment/db-app')
    expect(await cell(owner, 'State').innerText()).toMatch(/^OK/)
    const first = seconds(await cell(owner, 'TTL').innerText())
    expect(first).toBeGreaterThan(55 * 60)
    expect(first).toBeLessThanOrEqual(3600)
    await expect.poll(async () => seconds(await cell(owner, 'TTL').innerText()), POLL).toBeLessThan(first)
    expect(await cell(owner, 'Next renewal').innerText()).toMatch(/^in \d+ min/)
    // the lease id is masked in the page: its tail never appears
    const leaseId = (await leaseOf('db'))!
    expect(await page.content()).not.toContain(leaseId.split('/').at(-1))
  })

  it('flags a lease whose max TTL comes before another full period, before it ends', async () => {
    const owner = `VaultDynamicSecret ${namespace}/capped`
    await expect.poll(() => cell(owner, 'State').innerText(), POLL).toMatch(/^Ends soon/)
    expect(seconds(await cell(owner, 'Max TTL in').innerText())).toBeLessThanOrEqual(3600)
    expect(await page.getByRole('status').filter({ hasText: /will end for good soon/ }).innerText()).toBe('1 lease will end for good soon.')
    await page.screenshot({ path: join(SCREENSHOTS, 'leases.png'), fullPage: true })
  })

  it('lists the user\'s token, which can be renewed but not revoked here', async () => {
    const owner = 'token-dev (VAULT_TOKEN)'
    await expect.poll(() => cell(owner, 'Renewable').innerText(), POLL).toBe('Yes')
    expect(await row(owner).getByRole('button', { name: `Renew lease of ${owner}` }).isEnabled()).toBe(true)
    expect(await row(owner).getByRole('button', { name: /^Revoke/ }).count()).toBe(0)
  })

  it('renews a lease in Vault on request', async () => {
    const leaseId = (await leaseOf('db'))!
    const before = Date.parse((await lookup(leaseId)).data.expire_time)
    await new Promise((resolve) => setTimeout(resolve, 1500)) // a renewal for the same hour ends later than this
    await row(`VaultDynamicSecret ${namespace}/db`).getByRole('button', { name: /^Renew lease of/ }).click()
    await expect.poll(async () => Date.parse((await lookup(leaseId)).data.expire_time), POLL).toBeGreaterThan(before)
  })

  it('revokes a lease: its credentials stop working and new ones that log in replace them', async () => {
    const leaseId = (await leaseOf('db'))!
    const old = (await readSecret(namespace, 'db'))!
    expect(await canLogIn(old)).toBe(true)
    await row(`VaultDynamicSecret ${namespace}/db`).getByRole('button', { name: /^Revoke lease of/ }).click()
    await eventually(async () => (await leaseOf('db')) !== leaseId, 'a new lease after the revocation')
    await expect(lookup(leaseId)).rejects.toThrow(/invalid lease|400/)
    const renewed = (await readSecret(namespace, 'db'))!
    expect(renewed.username).not.toBe(old.username)
    expect(await canLogIn(renewed)).toBe(true)
    expect(await canLogIn(old)).toBe(false)
  })
})
