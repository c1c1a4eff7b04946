// `vault-tray daemon --ui`: builds the renderer if needed and serves it with the engine's API on 127.0.0.1.
import type { Engine } from '../engine/engine.ts'
import { bridgeContext, engineBridge } from './bridge/index.ts'
import { ensureRendererBuilt } from './renderer-build.ts'
import { startUiServer } from './server.ts'

/** Starts the browser twin; prints the one URL (token included) to open; returns what stops it. */
export async function startDaemonUi(engine: Engine, env: NodeJS.ProcessEnv, portText: string | undefined, log: (line: string) => void, switchContext?: (context: string) => Promise<void>): Promise<() => Promise<void>> {
  const port = Number(portText ?? '0')
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`--ui-port must be a port number, not "${portText}"`)
  const root = process.env.VAULT_TRAY_RENDERER_DIR || (await ensureRendererBuilt(log))
  const bridge = engineBridge(bridgeContext(engine, env, switchContext))
  const server = await startUiServer({ root, port, handlers: bridge.handlers, subscribe: bridge.subscribe })
  log(`ui     open ${server.url}`)
  return async () => {
    await server.close()
    await bridge.stop()
  }
}
