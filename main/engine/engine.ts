// Composition root: builds the engine's parts from settings and owns the event bus they publish on.
import { EventBus } from './events.ts'
import type { LoadedKubeConfig } from './kube/contexts.ts'
import { readKubeHealth, type KubeHealth } from './kube/health.ts'
import type { VaultConnectionSettings } from './vault/connection.ts'
import { readVaultHealth, type VaultHealth } from './vault/health.ts'

export interface EngineSettings {
  vault: VaultConnectionSettings
  /** Undefined when the user has no kubeconfig. */
  kube: LoadedKubeConfig | undefined
  healthIntervalMs: number
}

export type KubeStatus = KubeHealth | { context: undefined; reachable: false; error: string }

export interface HealthReport {
  vault: VaultHealth
  kube: KubeStatus
}

export interface EngineEvents {
  health: HealthReport
}

const NO_KUBECONFIG = 'No kubeconfig found (KUBECONFIG is unset and ~/.kube/config does not exist). Point KUBECONFIG at one.'

export class Engine {
  readonly events = new EventBus<EngineEvents>()
  #timer: NodeJS.Timeout | undefined

  constructor(private readonly settings: EngineSettings) {}

  async checkHealth(): Promise<HealthReport> {
    const kube = this.settings.kube
    const [vault, kubeHealth] = await Promise.all([
      readVaultHealth(this.settings.vault),
      kube ? readKubeHealth(kube.config) : Promise.resolve<KubeStatus>({ context: undefined, reachable: false, error: NO_KUBECONFIG }),
    ])
    const report = { vault, kube: kubeHealth }
    this.events.emit('health', report)
    return report
  }

  /** Checks health now and then every healthIntervalMs, publishing each report on the bus. */
  start(): void {
    if (this.#timer) return
    const tick = async () => {
      await this.checkHealth()
      if (this.#timer) this.#timer = setTimeout(tick, this.settings.healthIntervalMs)
    }
    this.#timer = setTimeout(tick, 0)
  }

  stop(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
