// The browser twin of preload: the same VaultTrayApi over the daemon's loopback WebSocket. The page opened with
// the daemon's token came with a page secret, kept in this origin's storage (other ports of 127.0.0.1 cannot
// read it) and offered as the socket's subprotocol. It reconnects by itself and says how the connection stands.
import {
  BridgeError,
  isPushChannel,
  type InvokeChannel,
  type InvokeChannels,
  type PushChannel,
  type PushChannels,
  type ServerMessage,
  type VaultTrayApi,
} from '../../../main/contract/index.ts'

export type ConnectionState = 'connecting' | 'open' | 'closed'

export interface Connection {
  readonly state: ConnectionState
  onChange(listener: (state: ConnectionState) => void): () => void
}

const PAGE_SECRET_KEY = 'vault-tray-page'
const PAGE_PROTOCOL_PREFIX = 'vault-tray.page.'

/**
 * The page secret the server put in this page, kept for later tabs and reloads of this origin, or the one kept
 * earlier. The address with the run's token leaves the address bar and the history.
 */
export function pageSecret(document: Pick<Document, 'querySelector'>, storage: Pick<Storage, 'getItem' | 'setItem'>, history: Pick<History, 'replaceState'>, location: Pick<Location, 'pathname' | 'hash' | 'search'>): string | undefined {
  const given = document.querySelector<HTMLMetaElement>('meta[name="vault-tray-page"]')?.content
  if (given) storage.setItem(PAGE_SECRET_KEY, given)
  if (new URLSearchParams(location.search).has('token')) history.replaceState(null, '', location.pathname + location.hash)
  return storage.getItem(PAGE_SECRET_KEY) ?? undefined
}

/** The wait before the next reconnect: doubles from 250 ms up to 5 s. */
export function reconnectDelay(attempt: number): number {
  return Math.min(5000, 250 * 2 ** Math.max(0, attempt))
}

type Pending = { resolve: (value: never) => void; reject: (error: Error) => void }

export class WebSocketApi implements VaultTrayApi, Connection {
  #socket: WebSocket | undefined
  #state: ConnectionState = 'connecting'
  #nextId = 1
  #attempt = 0
  readonly #pending = new Map<number, Pending>()
  readonly #listeners = new Map<PushChannel, Set<(payload: never) => void>>()
  readonly #stateListeners = new Set<(state: ConnectionState) => void>()

  constructor(
    private readonly url: string,
    private readonly secret: string,
  ) {
    this.#connect()
  }

  get state(): ConnectionState {
    return this.#state
  }

  onChange(listener: (state: ConnectionState) => void): () => void {
    this.#stateListeners.add(listener)
    return () => this.#stateListeners.delete(listener)
  }

  invoke<C extends InvokeChannel>(channel: C, ...args: Parameters<InvokeChannels[C]>): Promise<ReturnType<InvokeChannels[C]>> {
    const socket = this.#socket
    if (!socket || this.#state !== 'open') return Promise.reject(new BridgeError('disconnected', 'Not connected to the engine.'))
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: never) => void, reject })
      socket.send(JSON.stringify({ id, channel, args }))
    })
  }

  on<C extends PushChannel>(channel: C, listener: (payload: PushChannels[C]) => void): () => void {
    if (!isPushChannel(channel)) throw new BridgeError('unknown-channel', `no such channel: ${String(channel)}`)
    const listeners = this.#listeners.get(channel) ?? new Set()
    this.#listeners.set(channel, listeners)
    listeners.add(listener as (payload: never) => void)
    return () => listeners.delete(listener as (payload: never) => void)
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return
    this.#state = state
    for (const listener of this.#stateListeners) listener(state)
  }

  #connect(): void {
    const socket = new WebSocket(this.url, [`${PAGE_PROTOCOL_PREFIX}${this.secret}`])
    this.#socket = socket
    socket.addEventListener('open', () => {
      this.#attempt = 0
      this.#setState('open')
    })
    socket.addEventListener('message', (event) => this.#receive(String(event.data)))
    socket.addEventListener('close', () => {
      this.#socket = undefined
      for (const { reject } of this.#pending.values()) reject(new BridgeError('disconnected', 'The connection to the engine was lost.'))
      this.#pending.clear()
      this.#setState('closed')
      setTimeout(() => {
        this.#setState('connecting')
        this.#connect()
      }, reconnectDelay(this.#attempt++))
    })
  }

  #receive(text: string): void {
    let message: ServerMessage
    try {
      message = JSON.parse(text) as ServerMessage
    } catch {
      return
    }
    if ('push' in message) {
      for (const listener of this.#listeners.get(message.push) ?? []) listener(message.payload as never)
      return
    }
    if (message.id === null) return
    const pending = this.#pending.get(message.id)
    if (!pending) return
    this.#pending.delete(message.id)
    if (message.envelope.ok) pending.resolve(message.envelope.data as never)
    else pending.reject(new BridgeError(message.envelope.error.code, message.envelope.error.message))
  }
}
