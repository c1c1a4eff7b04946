// The browser twin of the Electron window: serves the built renderer and the contract's API (main/contract) over
// a WebSocket, on 127.0.0.1 only, guarded by a random per-run token that appears only in the URL printed at
// start (as Jupyter does). The page opened with that URL carries a fresh page secret in a meta tag; the page
// keeps it in this origin's storage and offers it as the WebSocket's subprotocol. No cookie: browsers send
// cookies to every port of 127.0.0.1. The files of the page hold no data; the WebSocket, which has it all,
// wants a page secret and our own Origin.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { extname, join, normalize, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import {
  ARGUMENT_CHECKS,
  isInvokeChannel,
  type Envelope,
  type InvokeHandlers,
  type PushChannel,
  type PushChannels,
  type ServerMessage,
} from '../contract/index.ts'

export interface UiServerOptions {
  /** The folder of the built renderer (index.html and its assets). */
  root: string
  handlers: InvokeHandlers
  /** Subscribes to the engine's push hints; returns the function that unsubscribes. */
  subscribe: (push: <C extends PushChannel>(channel: C, payload: PushChannels[C]) => void) => () => void
  /** 0 picks a free port. */
  port?: number
  /** A fixed token, for tests; random per run otherwise. */
  token?: string
}

export interface UiServer {
  /** The URL to open, token included: the only place the token appears. */
  url: string
  port: number
  close(): Promise<void>
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
}
const API_PATH = '/api'
const MAX_MESSAGE_BYTES = 64 * 1024
/** The WebSocket subprotocol that carries a page secret: `vault-tray.page.<secret>`. */
export const PAGE_PROTOCOL_PREFIX = 'vault-tray.page.'
export const PAGE_SECRET_META = 'vault-tray-page'
const MAX_PAGES = 1_000

/** The page may load its own files and talk to this server's WebSocket, nothing else. */
export function contentSecurityPolicy(host: string): string {
  return `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src ws://${host}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`
}

export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const token = options.token ?? randomBytes(24).toString('base64url')
  const expected = Buffer.from(token)
  let port = 0
  /** Page secrets handed out this run, oldest first. */
  const pages = new Set<string>()

  const tokenMatches = (given: string | undefined | null) => {
    if (!given) return false
    const candidate = Buffer.from(given)
    return candidate.length === expected.length && timingSafeEqual(candidate, expected)
  }
  const pageProtocol = (offered: Iterable<string>) => [...offered].find((protocol) => protocol.startsWith(PAGE_PROTOCOL_PREFIX) && pages.has(protocol.slice(PAGE_PROTOCOL_PREFIX.length)))
  // DNS rebinding: a page on another name that resolves to 127.0.0.1 must not reach us
  const allowedHost = (request: IncomingMessage) => {
    const host = request.headers.host
    return host === `127.0.0.1:${port}` || host === `localhost:${port}` ? host : undefined
  }

  const server: Server = createServer((request, response) => {
    try {
      serve(request, response)
    } catch {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
      response.end('internal error')
    }
  })

  function refuse(response: ServerResponse, status: number, text: string): void {
    response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
    response.end(`${status}: ${text}\n`)
  }

  function serve(request: IncomingMessage, response: ServerResponse): void {
    const host = allowedHost(request)
    if (!host) return refuse(response, 403, 'open the address the daemon printed (127.0.0.1).')
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'only GET.')
    const url = new URL(request.url ?? '/', `http://${host}`)
    const fromQuery = url.searchParams.get('token')
    if (fromQuery !== null && !tokenMatches(fromQuery)) return refuse(response, 401, 'wrong token. Open the address the daemon printed, token included.')
    const isPage = url.pathname === '/' || url.pathname === '/index.html'
    if (isPage && fromQuery !== null) return servePage(response, host, newPageSecret())
    const file = resolveFile(options.root, url.pathname)
    if (!file) return refuse(response, 404, 'not found.')
    response.writeHead(200, { ...pageHeaders(host), 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size })
    if (request.method === 'HEAD') return void response.end()
    createReadStream(file).pipe(response)
  }

  function newPageSecret(): string {
    const secret = randomBytes(24).toString('base64url')
    pages.add(secret)
    if (pages.size > MAX_PAGES) pages.delete(pages.values().next().value!)
    return secret
  }

  /** index.html with this page's secret; the address with the run's token is not kept by the browser (no-store, no-referrer). */
  function servePage(response: ServerResponse, host: string, secret: string): void {
    const file = resolveFile(options.root, '/index.html')
    if (!file) return refuse(response, 404, 'not found.')
    const meta = `<meta name="${PAGE_SECRET_META}" content="${secret}">`
    const page = readFileSync(file, 'utf8')
    const html = /<head[^>]*>/i.test(page) ? page.replace(/<head[^>]*>/i, (head) => head + meta) : page.replace(/^(<!doctype html>)?/i, (doctype) => doctype + meta)
    response.writeHead(200, { ...pageHeaders(host), 'content-type': TYPES['.html']!, 'content-length': Buffer.byteLength(html) })
    response.end(html)
  }

  function pageHeaders(host: string): Record<string, string> {
    return {
      'content-security-policy': contentSecurityPolicy(host),
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'cache-control': 'no-store',
    }
  }

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, handleProtocols: (offered) => pageProtocol(offered) ?? false })
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const host = allowedHost(request)
    const url = new URL(request.url ?? '/', `http://${host ?? '127.0.0.1'}`)
    const reject = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
    }
    if (!host || url.pathname !== API_PATH) return reject(403, 'Forbidden')
    // only our own page may open it: a browser always sends Origin, and another site's page sends its own
    if (request.headers.origin !== `http://${host}`) return reject(403, 'Forbidden')
    const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((protocol) => protocol.trim())
    if (!pageProtocol(offered)) return reject(401, 'Unauthorized')
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request))
  })

  sockets.on('connection', (ws: WebSocket) => {
    ws.on('message', (data, isBinary) => void answer(ws, isBinary ? undefined : data.toString()))
    ws.on('error', () => ws.terminate())
  })

  async function answer(ws: WebSocket, text: string | undefined): Promise<void> {
    const reply = (message: ServerMessage): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message))
    }
    const fail = (id: number | null, code: string, message: string) => reply({ id, envelope: { ok: false, error: { code, message: scrub(message, token) } } })
    let message: unknown
    try {
      message = text === undefined ? undefined : JSON.parse(text)
    } catch {
      return fail(null, 'bad-message', 'a message must be one JSON object')
    }
    if (typeof message !== 'object' || message === null) return fail(null, 'bad-message', 'a message must be one JSON object')
    const { id, channel, args = [] } = message as { id?: unknown; channel?: unknown; args?: unknown }
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) return fail(null, 'bad-message', 'a message needs a numeric id')
    if (!isInvokeChannel(channel)) return fail(id, 'unknown-channel', `no such channel: ${String(channel).slice(0, 80)}`)
    if (!Array.isArray(args)) return fail(id, 'bad-arguments', 'args must be an array')
    const wrong = ARGUMENT_CHECKS[channel](args)
    if (wrong) return fail(id, 'bad-arguments', wrong)
    let envelope: Envelope<unknown>
    try {
      envelope = { ok: true, data: await (options.handlers[channel] as (...a: unknown[]) => Promise<unknown>)(...args) }
    } catch (error) {
      return fail(id, (error as { code?: string }).code ?? 'failed', (error as Error).message)
    }
    reply({ id, envelope })
  }

  const unsubscribe = options.subscribe((channel, payload) => {
    const text = JSON.stringify({ push: channel, payload } satisfies ServerMessage)
    for (const client of sockets.clients) if (client.readyState === client.OPEN) client.send(text)
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    async close() {
      unsubscribe()
      for (const client of sockets.clients) client.terminate()
      sockets.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A file under root for a URL path, or undefined: never outside root, `/` is index.html. */
function resolveFile(root: string, pathname: string): string | undefined {
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    return undefined
  }
  if (decoded.includes('\0')) return undefined
  const relative = normalize(decoded === '/' ? '/index.html' : decoded).replace(/^[/\\]+/, '')
  const file = join(root, relative)
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined
  return existsSync(file) && statSync(file).isFile() ? file : undefined
}

/** Error messages cross the bridge, the token never does. */
function scrub(message: string, token: string): string {
  return message.split(token).join('[token]')
}
