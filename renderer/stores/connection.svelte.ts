// Whether the renderer reaches the engine: the frame shows a banner while it does not, and stores refetch when
// it comes back.
import type { Connection, ConnectionState } from '../lib/bridge/websocket-api.ts'

export const connectionState = $state<{ state: ConnectionState }>({ state: 'connecting' })

/** What the banner says for a connection state; nothing when all is well. */
export function connectionMessage(state: ConnectionState): string | undefined {
  if (state === 'open') return undefined
  if (state === 'connecting') return 'Connecting to the engine…'
  return 'Disconnected from the engine. Reconnecting…'
}

/** Follows the connection; calls onOpen each time it (re)opens. Returns the function that stops following. */
export function followConnection(connection: Connection, onOpen: () => void): () => void {
  connectionState.state = connection.state
  if (connection.state === 'open') onOpen()
  return connection.onChange((state) => {
    connectionState.state = state
    if (state === 'open') onOpen()
  })
}

/** Runs `refresh` now if connected and again on every (re)connect: what a view that opens first needs. */
export function refreshWhenConnected(connection: Connection, refresh: () => void): () => void {
  if (connection.state === 'open') refresh()
  return connection.onChange((state) => state === 'open' && refresh())
}
