// The browser twin's server over real HTTP and WebSocket on loopback, with handlers standing in for the engine:
// the token guard, the CSP, and that malformed messages get an error envelope and never stop the server.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { BridgeError, INVOKE_CHANNELS, type InvokeHandlers, type PushChannel, type PushChannels, type ServerMessage } from '../contract/index.ts'
import { PAGE_PROTOCOL_PREFIX, startUiServer, type UiServer } from './server.ts'

const root = mkdtempSync(join(tmpdir(), 'ui-server-'))
mkdirSync(join(root, 'assets'))
writeFileSync(join(root, 'index.html'), '<!doctype html><title>Vault Tray</title>')
writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)')
writeFileSync(join(tmpdir(), 'outside-root.txt'), 'outside')

let push: <C extends PushChannel>(channel: C, payload: PushChannels[C]) => void = () => {}
const synced: string[] = []
// the channels these tests do not call answer as an engine without that part would
const unused = Object.fromEntries(INVOKE_CHANNELS.map((channel) => [channel, async () => Promise.reject(new BridgeError('unavailable', `${channel} is not used here`))]))
const handlers: InvokeHandlers = {
  ...(unused as unknown as InvokeHandlers),
  'health:get': async () => ({ vault: { address: 'http://127.0.0.1:8200', reachable: false, error: 'down' }, kube: { context: undefined, reachable: false, error: 'none' } }),
  'sync:records': async () => ({ running: false, records: [] }),
  'sync:now': async (key) => {
    if (key.endsWith('/missing')) throw new BridgeError('not-found', `No resource ${key} is synced.`)
    synced.push(key)
  },
  'sync:pause': async () => {},
}

let server: UiServer
let base: string
let token: string
let secret: string

/** What a page opened with the printed address was given. */
async function openPage(): Promise<{ response: Response; html: string; secret: string }> {
  const response = await fetch(server.url, { redirect: 'manual' })
  const html = await response.text()
  return { response, html, secret: /<meta name="vault-tray-page" content="([A-Za-z0-9_-]+)">/.exec(html)?.[1] ?? '' }
}

beforeAll(async () => {
  server = await startUiServer({ root, handlers, subscribe: (sender) => ((push = sender), () => {}) })
  const url = new URL(server.url)
  base = url.origin
  token = url.searchParams.get('token')!
  secret = (await openPage()).secret
})
afterAll(() => server.close())

function connect(options: { protocols?: string[]; headers?: Record<string, string>; query?: string } = {}): Promise<WebSocket> {
  const { protocols = [`${PAGE_PROTOCOL_PREFIX}${secret}`], headers = { origin: base }, query = '' } = options
  const ws = new WebSocket(`${base.replace('http', 'ws')}/api${query}`, protocols, { headers })
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_request, response) => reject(new Error(String(response.statusCode))))
    ws.once('error', reject)
  })
}

function exchange(ws: WebSocket, message: string): Promise<ServerMessage> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(JSON.parse(data.toString()) as ServerMessage))
    ws.send(message)
  })
}

describe('the browser twin server', () => {
  it('prints a URL on 127.0.0.1 with a long random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/)
  })

  it('refuses a wrong token with 401 and no data', async () => {
    // one character off: a last character the real token does not have
    const offByOne = `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`
    for (const url of [`${base}/?token=wrong`, `${base}/?token=${offByOne}`]) {
      const response = await fetch(url, { redirect: 'manual' })
      expect(response.status, url).toBe(401)
      expect(await response.text()).not.toContain('Vault Tray')
    }
  })

  it('gives the page opened with the token a page secret of its own, and sets no cookie', async () => {
    const [first, second] = [await openPage(), await openPage()]
    expect(first.response.status).toBe(200)
    expect(first.response.headers.get('set-cookie')).toBeNull()
    expect(first.response.headers.get('cache-control')).toBe('no-store')
    expect(first.response.headers.get('referrer-policy')).toBe('no-referrer')
    expect(first.secret).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(second.secret).not.toBe(first.secret)
    expect(first.html).not.toContain(token)
    // without the token, the page's files carry no secret (they hold no data either)
    const plain = await (await fetch(`${base}/`)).text()
    expect(plain).not.toContain('vault-tray-page')
  })

  it('serves the page under a strict CSP that allows only its own WebSocket', async () => {
    const response = await fetch(`${base}/`)
    expect(response.status).toBe(200)
    expect(await response.text()).toContain('<title>Vault Tray</title>')
    const csp = response.headers.get('content-security-policy')!
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain(`connect-src ws://${new URL(base).host};`)
    expect(csp).not.toContain('unsafe')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('x-frame-options')).toBe('DENY')
  })

  it('serves nothing outside its folder, and nothing to another Host name (DNS rebinding)', async () => {
    expect((await fetch(`${base}/..%2Foutside-root.txt`)).status).toBe(404)
    expect((await fetch(`${base}/%2e%2e/outside-root.txt`)).status).toBe(404)
    const rebound = await new Promise<number>((resolve) => {
      void import('node:http').then(({ get }) => get(`${base}/`, { headers: { host: `evil.example:${server.port}` } }, (response) => resolve(response.statusCode!)))
    })
    expect(rebound).toBe(403)
  })

  it('opens the WebSocket only for a page secret it gave out, from its own Origin', async () => {
    await expect(connect({ protocols: [] })).rejects.toThrow('401')
    await expect(connect({ protocols: [`${PAGE_PROTOCOL_PREFIX}not-a-secret`] })).rejects.toThrow('401')
    // the run's token in the address no longer opens it, and a page of another site or no Origin at all is refused
    await expect(connect({ protocols: [], query: `?token=${token}` })).rejects.toThrow('401')
    await expect(connect({ headers: { origin: 'http://evil.example' } })).rejects.toThrow('403')
    await expect(connect({ headers: {} })).rejects.toThrow('403')
    const ws = await connect()
    expect(ws.protocol).toBe(`${PAGE_PROTOCOL_PREFIX}${secret}`)
    ws.close()
  })

  it('answers invokes in the envelope, and bad messages with an error envelope, without dropping the socket', async () => {
    const ws = await connect()
    try {
      expect(await exchange(ws, JSON.stringify({ id: 1, channel: 'sync:records', args: [] }))).toEqual({ id: 1, envelope: { ok: true, data: { running: false, records: [] } } })
      expect(await exchange(ws, 'not json')).toMatchObject({ id: null, envelope: { ok: false, error: { code: 'bad-message' } } })
      expect(await exchange(ws, '42')).toMatchObject({ id: null, envelope: { ok: false, error: { code: 'bad-message' } } })
      expect(await exchange(ws, JSON.stringify({ id: 2, channel: 'secrets:reveal', args: [] }))).toMatchObject({ id: 2, envelope: { ok: false, error: { code: 'unknown-channel' } } })
      expect(await exchange(ws, JSON.stringify({ id: 3, channel: 'constructor', args: [] }))).toMatchObject({ id: 3, envelope: { ok: false, error: { code: 'unknown-channel' } } })
      expect(await exchange(ws, JSON.stringify({ id: 4, channel: 'sync:now', args: [{ $gt: '' }] }))).toMatchObject({ id: 4, envelope: { ok: false, error: { code: 'bad-arguments' } } })
      expect(await exchange(ws, JSON.stringify({ id: 5, channel: 'sync:pause', args: ['VaultStaticSecret/ns/app', 'yes'] }))).toMatchObject({ id: 5, envelope: { ok: false, error: { code: 'bad-arguments' } } })
      expect(await exchange(ws, JSON.stringify({ id: 6, channel: 'sync:now', args: ['VaultStaticSecret/ns/missing'] }))).toEqual({
        id: 6,
        envelope: { ok: false, error: { code: 'not-found', message: 'No resource VaultStaticSecret/ns/missing is synced.' } },
      })
      expect(await exchange(ws, JSON.stringify({ id: 7, channel: 'sync:now', args: ['VaultStaticSecret/ns/app'] }))).toEqual({ id: 7, envelope: { ok: true } })
      expect(synced).toEqual(['VaultStaticSecret/ns/app'])
    } finally {
      ws.close()
    }
  })

  it('pushes hints to every connected page', async () => {
    const ws = await connect()
    try {
      const received = new Promise<ServerMessage>((resolve) => ws.once('message', (data) => resolve(JSON.parse(data.toString()) as ServerMessage)))
      push('sync:changed', { kind: 'sync', key: 'VaultStaticSecret/ns/app' })
      expect(await received).toEqual({ push: 'sync:changed', payload: { kind: 'sync', key: 'VaultStaticSecret/ns/app' } })
    } finally {
      ws.close()
    }
  })
})
