// The Events view against `vault-tray daemon --sync --ui` on the lab: a VaultStaticSecret that syncs and one
// that Vault's policy refuses, their events in the live stream with the right severity, filters, pause, the
// JSON lines export, and a list that keeps only the rows in view in the DOM.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EngineLogEntry } from '../../main/contract/index.ts'
import { API_VERSION } from '../../main/engine/sync/api.ts'
import { ensureRendererBuilt } from '../../main/ui/renderer-build.ts'
import { bao, unique } from '../integration/helpers.ts'
import { apply, eventually, readSecret } from '../integration/sync-helpers.ts'
import { launchChromium, startDaemon, type DaemonUnderTest } from './daemon.ts'
import { syncedNamespace } from './fixtures.ts'
import { EventsPage } from './pages/events-page.ts'
import { SecretsPage, VaultTrayPage } from './pages/vault-tray-page.ts'

/** The engine reconciles in its own time, slower on a busy machine: wait for what it reports. */
const POLL = { timeout: 20_000, interval: 100 }
const SCREENSHOTS = join(import.meta.dirname, 'screenshots')
const secretValue = `s3cr3t-${unique('value')}`
const rotatedValue = `r0tated-${unique('value')}`

let namespace: string
let kv: string
let daemon: DaemonUnderTest
let origin: string
let browser: Browser
let context: BrowserContext
let page: Page
let events: EventsPage
const key = (name: string) => `VaultStaticSecret/${namespace}/${name}`
const staticSecret = (name: string, path: string) => ({
  apiVersion: API_VERSION,
  kind: 'VaultStaticSecret',
  metadata: { name, namespace },
  spec: { type: 'kv-v2', mount: kv, path, vaultAuthRef: 'default', destination: { name: `${name}-secret`, create: true } },
})

async function openEvents(query = ''): Promise<EventsPage> {
  await page.goto(`${origin}/#/events${query}`)
  await events.heading.waitFor()
  return events
}

beforeAll(async () => {
  await ensureRendererBuilt()
  const fixture = await syncedNamespace('events', [
    { name: 'app', data: { password: secretValue }, readable: true },
    { name: 'forbidden', data: { password: secretValue }, readable: false },
  ])
  namespace = fixture.namespace
  kv = fixture.kv

  daemon = await startDaemon(['--sync', '--namespace', namespace, '--mode', 'write', '--metrics-port', '0', '--interval', '60'])
  origin = new URL(daemon.url).origin
  await eventually(async () => (await readSecret(namespace, 'app-secret'))?.password === secretValue, 'the daemon to sync the good resource')

  browser = await launchChromium()
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true })
  page = await context.newPage()
  await page.goto(daemon.url) // the page secret is kept for the other tabs of this origin
  events = new EventsPage(page)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await daemon?.stop()
})

describe('the Events view, served by `daemon --sync --ui`', () => {
  it('shows the events of the synced and the failing resource, each with its severity', async () => {
    await new VaultTrayPage(page).goTo('Events')
    await events.heading.waitFor()
    await events.namespace.selectOption(namespace)

    const synced = events.about(key('app'), 'synced')
    await expect.poll(() => synced.count(), POLL).toBe(1)
    expect(await events.cell(synced, 'Source').innerText()).toBe('sync')
    expect(await events.cell(synced, 'Severity').innerText()).toBe('Info')
    expect(await events.cell(synced, 'Resource').innerText()).toBe(key('app'))
    const recorded = events.about(key('app'), 'SecretSynced: Secret synced')
    await expect.poll(() => recorded.count(), POLL).toBeGreaterThan(0)
    expect(await events.cell(recorded.first(), 'Source').innerText()).toBe('kubernetes')

    const failing = events.about(key('forbidden'), /^failing: /)
    await expect.poll(() => failing.count(), POLL).toBeGreaterThan(0)
    expect(await events.cell(failing.first(), 'Severity').innerText()).toBe('Error')
    // the first attempts may fail for another reason (its VaultAuth not seen yet): the latest is Vault's refusal
    await expect.poll(() => events.cell(failing.last(), 'Message').innerText(), POLL).toMatch(/permission|polic/i)
    // the Warning Event the engine recorded on the resource, with VSO's reason
    const warning = events.about(key('forbidden')).filter({ has: page.getByRole('cell', { name: 'kubernetes', exact: true }) })
    await expect.poll(() => warning.count(), POLL).toBeGreaterThan(0)
    expect(await events.cell(warning.first(), 'Severity').innerText()).toBe('Warning')
    expect(await events.cell(warning.first(), 'Message').innerText()).toMatch(/^Vault\w*Error: /)
    expect(await page.content()).not.toContain(secretValue)
    await page.screenshot({ path: join(SCREENSHOTS, 'events.png'), fullPage: true })
  })

  it('narrows the list by severity, source and text, and says when nothing matches', async () => {
    await openEvents(`?namespace=${namespace}`)
    await expect.poll(() => events.column('Severity'), POLL).toContain('Error')
    const all = (await events.shownCount()).shown

    await events.severity.selectOption({ label: 'Errors only' })
    await expect.poll(() => events.column('Severity'), POLL).not.toContain('Info')
    expect(new Set(await events.column('Severity'))).toEqual(new Set(['Error']))
    expect((await events.shownCount()).shown).toBeLessThan(all)

    await events.severity.selectOption({ label: 'Any severity' })
    await events.source.selectOption({ label: 'Kubernetes' })
    await expect.poll(async () => new Set(await events.column('Source')), POLL).toEqual(new Set(['kubernetes']))

    await events.source.selectOption({ label: 'All sources' })
    await events.search.fill('FORBIDDEN')
    await expect.poll(async () => {
      const [messages, resources] = [await events.column('Message'), await events.column('Resource')]
      return messages.every((message, i) => /forbidden/i.test(`${message} ${resources[i]}`))
    }, POLL).toBe(true)
    expect(await events.rows.count()).toBeGreaterThan(0)

    await events.search.fill('no event says this')
    await page.getByRole('region', { name: 'No event matches these filters' }).waitFor()
    expect(await events.rows.count()).toBe(0)
  })

  it('shows one resource\'s events when opened from a link with ?resource=', async () => {
    await openEvents(`?resource=${encodeURIComponent(key('forbidden'))}`)
    await expect.poll(() => events.rows.count(), POLL).toBeGreaterThan(0)
    expect(new Set(await events.column('Resource'))).toEqual(new Set([key('forbidden')]))
    expect(await page.getByRole('button', { name: 'Show events of every resource' }).isVisible()).toBe(true)
  })

  it('holds the view while paused, counts what arrived, and shows it on resume', async () => {
    await openEvents(`?resource=${encodeURIComponent(key('app'))}`)
    await expect.poll(() => events.about(key('app'), 'synced').count(), POLL).toBe(1)
    await events.pauseButton.click()
    const before = await events.column('Message')

    // a second window syncs the resource after its value changed in Vault: a rotation
    await bao('POST', `${kv}/data/app`, { data: { password: rotatedValue } })
    const other = await context.newPage()
    await other.goto(`${origin}/#/secrets`)
    const secrets = new SecretsPage(other)
    await expect.poll(() => secrets.cell('app', 'State').innerText(), POLL).toBe('Synced')
    await secrets.syncNow('app')
    await eventually(async () => (await readSecret(namespace, 'app-secret'))?.password === rotatedValue, 'sync now to write the new value')
    await other.close()

    await expect.poll(async () => Number(/Paused: (\d+) new events? since/.exec(await events.status.innerText())?.[1] ?? 0), POLL).toBeGreaterThan(0)
    expect(await events.column('Message')).toEqual(before)
    expect(await events.about(key('app'), 'synced: rotated').count()).toBe(0)

    await events.resumeButton.click()
    const rotation = events.about(key('app'), 'synced: rotated')
    await expect.poll(() => rotation.count(), POLL).toBe(1)
    expect(await events.cell(rotation, 'Source').innerText()).toBe('rotation')
    expect(await events.status.innerText()).not.toContain('Paused')
  })

  it('exports the filtered entries as JSON lines, the same ones as shown', async () => {
    await openEvents(`?namespace=${namespace}`)
    await expect.poll(() => events.column('Source'), POLL).toContain('kubernetes')
    const shown = await events.shownCount()
    // the rows in the DOM, by their place in the list (aria-rowindex 2 is the first entry)
    const rows = await events.rows.evaluateAll((all) => all.map((row) => ({ index: Number(row.getAttribute('aria-rowindex')) - 2, message: row.querySelectorAll('[role=cell]')[4]?.textContent?.trim() })))
    const [download] = await Promise.all([page.waitForEvent('download'), events.exportButton.click()])
    expect(download.suggestedFilename()).toMatch(/^vault-tray-events-.*\.jsonl$/)
    const text = readFileSync((await download.path())!, 'utf8')
    expect(text.endsWith('\n')).toBe(true)
    const entries = text.trimEnd().split('\n').map((line) => JSON.parse(line) as EngineLogEntry)
    expect(entries).toHaveLength(shown.shown)
    expect(rows.length).toBeGreaterThan(0)
    for (const row of rows) expect(entries[row.index]?.message).toBe(row.message)
    expect(entries.some((entry) => entry.source === 'rotation' && entry.resource === key('app'))).toBe(true)
    for (const entry of entries) {
      expect(entry.namespace).toBe(namespace)
      expect(Object.keys(entry).sort()).toEqual(expect.arrayContaining(['at', 'message', 'seq', 'severity', 'source']))
    }
    expect(entries.map((entry) => entry.seq)).toEqual([...entries.map((entry) => entry.seq)].sort((a, b) => a - b))
    expect(text).not.toContain(secretValue)
    expect(text).not.toContain(rotatedValue)
  })

  it('keeps only the rows in view in the DOM when there are many events, and follows the newest', async () => {
    const count = 60
    await openEvents(`?namespace=${namespace}`)
    const before = (await events.shownCount()).shown
    for (let i = 0; i < count; i++) await apply(staticSecret(`bulk-${i}`, 'app'))
    // each one syncs: a record and the SecretSynced Event it writes
    await expect.poll(async () => (await events.shownCount()).shown, { ...POLL, timeout: 60_000 }).toBeGreaterThanOrEqual(before + 2 * count)
    const dom = await events.table.evaluate((table) => ({
      entries: Number(table.getAttribute('aria-rowcount')) - 1,
      rows: [...table.querySelectorAll('[role=row][aria-rowindex]')].map((row) => Number(row.getAttribute('aria-rowindex'))).filter((index) => index > 1),
    }))
    expect(dom.entries).toBeGreaterThanOrEqual(before + 2 * count)
    expect(dom.rows.length).toBeGreaterThan(10)
    expect(dom.rows.length).toBeLessThan(dom.entries / 3)
    // the list follows the tail: the newest entry is in view
    expect(Math.max(...dom.rows)).toBe(dom.entries + 1)
    await page.screenshot({ path: join(SCREENSHOTS, 'events-many.png'), fullPage: true })
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.screenshot({ path: join(SCREENSHOTS, 'events-dark.png'), fullPage: true })
    await page.emulateMedia({ colorScheme: 'light' })
  }, 150_000)
})
