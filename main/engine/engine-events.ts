// What the engine's bus carries (Engine.events): the window, the tray and the event list all listen to it.
import type { HealthReport } from '../contract/index.ts'
import type { StepEvent } from './lab/runner.ts'
import type { ProxyEvent } from './proxy/events.ts'
import type { SyncEvent } from './sync/sync-engine.ts'
import type { VaultSessionEvent } from './vault/session.ts'

export interface EngineEvents {
  health: HealthReport
  /** Token, lease and cache changes of the Vault session; ids masked, never a secret value. */
  vault: VaultSessionEvent
  /** What the sync engine of the chosen kube-context did; never a secret value. */
  sync: SyncEvent & { context: string }
  /** What the local proxy did: requests (paths, never bodies), cache hits, evictions. */
  proxy: ProxyEvent
  /** The one-click lab's steps while it is set up from the window. */
  lab: StepEvent
}
