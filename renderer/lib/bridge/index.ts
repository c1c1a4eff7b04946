// The renderer's one way to the engine: preload's window.vaultTray inside Electron, the WebSocket twin in a
// browser. Everything else in the renderer imports `api` and `connection` from here.
import type { VaultTrayApi } from '../../../main/contract/index.ts'
import { pageSecret, WebSocketApi, type Connection } from './websocket-api.ts'

const inElectron = typeof window !== 'undefined' && 'vaultTray' in window

const secret = inElectron ? undefined : pageSecret(document, localStorage, history, location)

/** In a browser opened without the daemon's address (token included), there is nothing to connect with. */
export const needsToken = !inElectron && !secret

const twin = inElectron || !secret ? undefined : new WebSocketApi(`ws://${location.host}/api`, secret)

export const api: VaultTrayApi = twin ?? window.vaultTray

/** IPC inside Electron is always there; the WebSocket comes and goes with the daemon. */
export const connection: Connection = twin ?? { state: inElectron ? 'open' : 'closed', onChange: () => () => {} }
