// What every part of the bridge may use: the engine, and where the user's configuration lives. The Electron
// shell and the daemon build one each, so both windows answer from the same code.
import type { PushChannel, PushChannels } from '../../contract/index.ts'
import type { Engine } from '../../engine/engine.ts'
import { defaultLabDir } from '../../engine/lab/state.ts'
import { settingsFilePath } from '../../engine/settings.ts'
import type { SystemClipboard } from '../clipboard.ts'

export type Push = <C extends PushChannel>(channel: C, payload: PushChannels[C]) => void

export interface BridgeContext {
  engine: Engine
  /** The environment the engine was configured from: VAULT_TOKEN, KUBECONFIG, XDG_* and the rest. */
  env: NodeJS.ProcessEnv
  /** The settings file (settings:get/save). */
  settingsFile: string
  /** The one-click lab's directory. */
  labDir: string
  /** Moves the running sync engine to another kube-context, with the options it was started with. */
  switchContext?: (context: string) => Promise<void>
  /** The system clipboard, where the main process can write it (Electron); a browser window copies itself. */
  clipboard?: SystemClipboard
}

/** One area of the API: its handlers, and the push hints it sends (subscribe returns what unsubscribes). */
export interface BridgePart<H> {
  handlers: H
  subscribe?: (push: Push) => () => void
  /** Ends what the part runs in the background (a lab being set up) when the window's engine stops. */
  stop?: () => Promise<void>
}

/** The context of a window on this engine, with the user's files where they live by default. */
export function bridgeContext(engine: Engine, env: NodeJS.ProcessEnv, switchContext?: (context: string) => Promise<void>, clipboard?: SystemClipboard): BridgeContext {
  return { engine, env, switchContext, clipboard, settingsFile: settingsFilePath(env), labDir: defaultLabDir(env) }
}
