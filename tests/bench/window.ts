// Benchmark of the window in Debian's Chromium: the real UI server (main/ui/server.ts) and bridge of a real
// Engine in this process, no lab (Vault and the cluster are simply unreachable). It prints
//   - time to first meaningful paint: navigation start → the frame that shows the Overview heading (median of loads),
//   - frame times (requestAnimationFrame deltas in the page) while 100,000 events stream into the Events view,
//     and while scrolling through them with the mouse wheel,
//   - the renderer's JS heap (CDP Performance.getMetrics) before and after the 100,000.
// The events are synthetic (proxy requests and Kubernetes Warnings) emitted on the engine's real bus at a high
// rate, as no lab makes 100,000 real ones in seconds; the event log, bridge, WebSocket, store and view are the
// real ones, which is what this measures.
// Run: npm run bench:window   (BENCH_EVENTS, BENCH_RATE per second, BENCH_LOADS to change the defaults)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Page } from 'playwright-core'
import { Engine } from '../../main/engine/engine.ts'
import { EVENT_LOG_CAPACITY } from '../../main/engine/event-log.ts'
import { bridgeContext, engineBridge } from '../../main/ui/bridge/index.ts'
import { ensureRendererBuilt } from '../../main/ui/renderer-build.ts'
import { startUiServer } from '../../main/ui/server.ts'
import { CHROMIUM_ARGS } from '../lab/lab.ts'

// the page's globals, as the functions given to page.evaluate see them (this file compiles without the DOM lib)
declare const window: Record<string, unknown>
declare const document: { body: { innerText: string }; querySelector(selector: string): { textContent: string | null } | null }
declare function requestAnimationFrame(callback: (now: number) => void): number
declare const MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void; disconnect(): void }

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000)
const RATE = Number(process.env.BENCH_RATE ?? 20_000)
const LOADS = Number(process.env.BENCH_LOADS ?? 7)
const BATCH_EVERY_MS = 20

const home = mkdtempSync(join(tmpdir(), 'vault-tray-bench-window-'))
const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'data') }
const engine = new Engine({ vault: { address: 'http://127.0.0.1:9', skipVerify: false }, kube: undefined, healthIntervalMs: 60_000 })
const bridge = engineBridge(bridgeContext(engine, env))
const server = await startUiServer({ root: await ensureRendererBuilt(), handlers: bridge.handlers, subscribe: bridge.subscribe })
const origin = new URL(server.url).origin
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS })

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
const ms = (value: number) => `${value.toFixed(1)} ms`
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

function frameSummary(deltas: number[]): string {
  const sorted = [...deltas].sort((a, b) => a - b)
  const over = (limit: number) => deltas.filter((delta) => delta > limit).length
  return `${deltas.length} frames: p50 ${ms(percentile(sorted, 50))}, p95 ${ms(percentile(sorted, 95))}, max ${ms(sorted.at(-1) ?? 0)}; over 50 ms: ${over(50)}`
}

/** Records requestAnimationFrame deltas in the page until the returned function is called. */
async function recordFrames(page: Page): Promise<() => Promise<number[]>> {
  await page.evaluate(() => {
    const state = { deltas: [] as number[], running: true }
    window.benchFrames = state
    let previous = performance.now()
    const tick = (now: number) => {
      state.deltas.push(now - previous)
      previous = now
      if (state.running) requestAnimationFrame(tick)
    }
    requestAnimationFrame(tick)
  })
  return () =>
    page.evaluate(() => {
      const state = window.benchFrames as { deltas: number[]; running: boolean }
      state.running = false
      return state.deltas.slice(1)
    })
}

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  // tsx compiles the functions sent to the page with esbuild's keepNames, which calls a __name helper the page lacks
  await context.addInitScript({ content: 'globalThis.__name = (fn) => fn' })
  // marks the moment the frame showing the Overview heading has painted: the first meaningful paint
  await context.addInitScript(() => {
    const observer = new MutationObserver(() => {
      const heading = document.querySelector('h1')
      if (heading?.textContent === 'Overview') {
        observer.disconnect()
        // a task queued from the frame's rAF runs once that frame has painted
        requestAnimationFrame(() => setTimeout(() => performance.mark('overview-painted'), 0))
      }
    })
    observer.observe(document, { childList: true, subtree: true })
  })
  const page = await context.newPage()
  await page.goto(server.url) // trades the token for the cookie

  const paints: number[] = []
  const contentful: number[] = []
  for (let i = 0; i < LOADS; i++) {
    await page.goto('about:blank') // a real load each time, not a jump within the same document
    await page.goto(`${origin}/#/overview`)
    await page.waitForFunction(() => performance.getEntriesByName('overview-painted').length > 0)
    const [meaningful, fcp] = await page.evaluate(() => [performance.getEntriesByName('overview-painted')[0]!.startTime, performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN])
    paints.push(meaningful!)
    contentful.push(fcp!)
  }

  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Events' }).click()
  await page.getByRole('heading', { name: 'Events', level: 1 }).waitFor()
  const cdp = await context.newCDPSession(page)
  await cdp.send('Performance.enable')
  const heap = async () => {
    await cdp.send('HeapProfiler.collectGarbage')
    const { metrics } = await cdp.send('Performance.getMetrics')
    return metrics.find((metric) => metric.name === 'JSHeapUsedSize')!.value
  }
  const heapBefore = await heap()

  // the stream: batches every 20 ms at RATE events a second, proxy requests with a Kubernetes Warning now and then
  const stopStreamFrames = await recordFrames(page)
  const streamStarted = performance.now()
  const perBatch = Math.max(1, Math.round((RATE * BATCH_EVERY_MS) / 1000))
  for (let sent = 0; sent < EVENTS; ) {
    const batchStarted = performance.now()
    for (let i = 0; i < perBatch && sent < EVENTS; i++, sent++) {
      if (sent % 50 === 0) {
        engine.events.emit('sync', { kind: 'kube-event', key: `VaultStaticSecret/team-${sent % 7}/app-${sent % 13}`, type: 'Warning', reason: 'VaultClientError', message: `Failed to read the secret (attempt ${sent})`, context: 'bench' })
      } else {
        engine.events.emit('proxy', { kind: 'request', method: 'GET', path: `/v1/kv/data/team-${sent % 7}/app-${sent % 13}`, status: 200, cache: sent % 3 ? 'HIT' : 'MISS', ms: (sent % 17) / 3 })
      }
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, BATCH_EVERY_MS - (performance.now() - batchStarted))))
  }
  const emittedMs = performance.now() - streamStarted
  // the window keeps as many as the engine's ring: the newest 100,000
  const expected = Math.min(engine.log.last, EVENT_LOG_CAPACITY)
  await page.waitForFunction((total) => new RegExp(`of ${total.toLocaleString('en')} events`).test(document.body.innerText), expected, { timeout: 120_000 }).catch(async (error: Error) => {
    throw new Error(`the view did not catch up with ${expected} events: ${await page.getByRole('status').allInnerTexts()}`, { cause: error })
  })
  const caughtUpMs = performance.now() - streamStarted
  const streamFrames = await stopStreamFrames()
  const rowsInDom = await page.getByRole('table', { name: 'Events' }).getByRole('row').count()
  const heapAfter = await heap()

  // scrolling: the wheel over the list, up from the newest through tens of thousands of rows
  const viewport = page.getByRole('rowgroup', { name: 'Event rows, newest last' })
  const box = (await viewport.boundingBox())!
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
  const stopScrollFrames = await recordFrames(page)
  for (let i = 0; i < 150; i++) {
    await page.mouse.wheel(0, -4000)
    await page.waitForTimeout(16)
  }
  const scrollFrames = await stopScrollFrames()
  const scrolledTo = await viewport.evaluate((element) => element.scrollTop)

  console.log(`window benchmark (Chromium ${browser.version()}, ${EVENTS.toLocaleString('en')} events at ${RATE.toLocaleString('en')}/s)`)
  console.log(`first meaningful paint (Overview heading), median of ${LOADS} loads: ${ms(median(paints))} (min ${ms(Math.min(...paints))}, max ${ms(Math.max(...paints))}); first contentful paint ${ms(median(contentful))}`)
  console.log(`streaming: emitted in ${ms(emittedMs)}, all ${expected.toLocaleString('en')} in the view after ${ms(caughtUpMs)}; ${frameSummary(streamFrames)}`)
  console.log(`scrolling (150 wheel steps of 4000 px, to scrollTop ${Math.round(scrolledTo)}): ${frameSummary(scrollFrames)}`)
  console.log(`rows in the DOM with ${expected.toLocaleString('en')} entries: ${rowsInDom}`)
  console.log(`renderer JS heap: ${mb(heapBefore)} before, ${mb(heapAfter)} after the ${expected.toLocaleString('en')} events`)
} finally {
  await browser.close()
  await server.close()
  rmSync(home, { recursive: true, force: true })
}
