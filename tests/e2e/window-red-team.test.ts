// The window's server (`daemon --ui`) attacked as a browser and a local process can attack it: a page of
// another site on another loopback port, a page reached by DNS rebinding, and a process holding the run's
// token but not a page secret. Real daemon on the lab's OpenBao and apiserver, real Chromium.
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import NodeWebSocket from 'ws'
import { ensureRendererBuilt } from '../../main/ui/renderer-build.ts'
import { launchChromium, startDaemon, type DaemonUnderTest } from './daemon.ts'

let daemon: DaemonUnderTest
let browser: Browser
let page: Page
let attacker: Server
let attackerOrigin: string

beforeAll(async () => {
  await ensureRendererBuilt()
  daemon = await startDaemon(['--interval', '60'])
  // the attacker's site: any page on another port of 127.0.0.1, to which a cookie of the window would go too
  attacker = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'))
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
  attackerOrigin = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`
  browser = await launchChromium()
  page = await browser.newPage()
  // the user has the window open in the same browser: whatever it keeps, the attacker's page shares the profile
  await page.goto(daemon.url)
  await page.getByRole('heading', { name: 'Overview' }).waitFor()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => attacker?.close(resolve))
  await daemon?.stop()
})

/** The browser's WebSocket, as far as the page script below uses it (the tests' types have no DOM). */
type BrowserSocket = new (
  url: string,
  protocols: string[],
) => { onmessage: (event: { data: unknown }) => void; onopen: () => void; onclose: (event: { code: number }) => void; send(data: string): void }

/** What a WebSocket opened from a page at `from` gets: the close code, or the first message. */
async function openFrom(from: string, target: string, protocols: string[]): Promise<string> {
  const other = await browser.newPage()
  try {
    await other.goto(from)
    return await other.evaluate(
      ([url, offered]) =>
        new Promise<string>((resolve) => {
          const socket = new (globalThis as unknown as { WebSocket: BrowserSocket }).WebSocket(url!, offered)
          socket.onmessage = (event) => resolve(`message: ${String(event.data).slice(0, 80)}`)
          socket.onopen = () => socket.send(JSON.stringify({ type: 'invoke', id: 1, channel: 'health:get', args: [] }))
          socket.onclose = (event) => resolve(`closed ${event.code}`)
        }),
      [target, protocols] as const,
    )
  } finally {
    await other.close()
  }
}

function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (response) => {
      let body = ''
      response.on('data', (chunk: Buffer) => (body += chunk.toString()))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
      .on('error', reject)
      .end()
  })
}

describe('the window, attacked', () => {
  it('keeps no cookie that a page on another port of 127.0.0.1 would send along', async () => {
    expect(await page.context().cookies()).toEqual([])
  })

  it('a page of another site cannot open the WebSocket, even with the run token in the address', async () => {
    const { host, searchParams } = new URL(daemon.url)
    const token = searchParams.get('token')!
    expect(await openFrom(attackerOrigin, `ws://${host}/api?token=${token}`, [])).toMatch(/^closed /)
    // even the real page secret is refused from another site's page: the Origin is the attacker's
    const secret = await page.evaluate(() => localStorage.getItem('vault-tray-page'))
    expect(secret).toMatch(/^[\w-]{20,}$/)
    expect(await openFrom(attackerOrigin, `ws://${host}/api`, [`vault-tray.page.${secret}`])).toMatch(/^closed /)
    // the same call from the window's own origin is answered: the refusals above are the checks, not the harness
    expect(await openFrom(`http://${host}/`, `ws://${host}/api`, [`vault-tray.page.${secret}`])).toMatch(/^message: /)
  })

  it('a local process with the run token but no page secret and no Origin is refused', async () => {
    const { host, searchParams } = new URL(daemon.url)
    const socket = new NodeWebSocket(`ws://${host}/api?token=${searchParams.get('token')}`)
    const status = await new Promise<number>((resolve) => {
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0))
      socket.on('open', () => resolve(101))
      socket.on('error', () => resolve(0))
    })
    socket.terminate()
    expect(status).toBe(403)
  })

  it('a page reached by DNS rebinding (another Host name) gets nothing, not even the page', async () => {
    const { port, searchParams } = new URL(daemon.url)
    const page = await get(`http://127.0.0.1:${port}/?token=${searchParams.get('token')}`, { host: `rebound.example:${port}` })
    expect(page.status).toBe(403)
    expect(page.body).not.toContain('vault-tray-page')
  })

  it('a wrong token gets no page secret', async () => {
    const { port } = new URL(daemon.url)
    const answer = await get(`http://127.0.0.1:${port}/?token=wrong`, {})
    expect(answer.status).toBe(401)
    expect(answer.body).not.toContain('vault-tray-page')
  })
})
