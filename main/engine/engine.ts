// Composition root: builds the engine's parts from settings and owns the event bus they publish on.
import { ClientCache, type ClientCacheOptions } from './cache/client-cache.ts'
import { systemClock, type Clock } from './clock.ts'
import { EVENT_LOG_CAPACITY, EventLog } from './event-log.ts'
import type { EngineEvents } from './engine-events.ts'
import { EventBus } from './events.ts'
import type { HealthReport, KubeStatus } from '../contract/index.ts'
import { configForContext, type LoadedKubeConfig } from './kube/contexts.ts'
import { withUserPath } from './kube/shell-path.ts'
import { VaultProxy, type ProxyOptions } from './proxy/server.ts'
import { SyncEngine, type SyncEngineOptions } from './sync/sync-engine.ts'
import { readKubeHealth } from './kube/health.ts'
import type { AuthConfig } from './vault/auth.ts'
import { VaultClient } from './vault/client.ts'
import type { VaultConnectionSettings } from './vault/connection.ts'
import { Transit } from './vault/engines.ts'
import { readVaultHealth } from './vault/health.ts'
import { VaultSession } from './vault/session.ts'

export interface EngineSettings {
  vault: VaultConnectionSettings
  /** Undefined when the user has no kubeconfig. */
  kube: LoadedKubeConfig | undefined
  healthIntervalMs: number
}

export interface VaultSessionSettings {
  auth: AuthConfig
  /** Where the encrypted client cache lives, and what seals it; without keychain or transit it stays in memory. */
  cache: Omit<ClientCacheOptions, 'transit'> & { transit?: { mount: string; key: string } }
  renewalPercent?: number
}

const NO_KUBECONFIG = 'No kubeconfig found (KUBECONFIG is unset and ~/.kube/config does not exist). Point KUBECONFIG at one.'

export class Engine {
  readonly events = new EventBus<EngineEvents>()
  /** What the Events view lists: the bus's events as log lines, the newest 100,000. */
  readonly log = new EventLog(EVENT_LOG_CAPACITY, () => this.clock.now())
  #timer: NodeJS.Timeout | undefined
  #sync: SyncEngine | undefined
  #proxy: VaultProxy | undefined

  constructor(
    private readonly settings: EngineSettings,
    private readonly clock: Clock = systemClock,
  ) {
    this.log.follow(this.events)
  }

  /** Opens a Vault session (token, leases, client cache) whose events are published on the bus. */
  openVaultSession(options: VaultSessionSettings): VaultSession {
    const client = new VaultClient(this.settings.vault)
    const { transit, ...cache } = options.cache
    return new VaultSession({
      client,
      auth: options.auth,
      cache: new ClientCache({ ...cache, transit: transit && new Transit(client, transit.mount, transit.key) }),
      clock: this.clock,
      renewalPercent: options.renewalPercent,
      onEvent: (event) => this.events.emit('vault', event),
    })
  }

  /** The running sync engine, if any. */
  get sync(): SyncEngine | undefined {
    return this.#sync
  }

  /**
   * Syncs the given kube-context (the current one by default). Switching context stops the engine of the old
   * one and starts one for the new: no restart of the app, one client per context.
   */
  async startSync(context: string | undefined, options: Omit<SyncEngineOptions, 'kubeConfig' | 'onEvent' | 'clock'> & { execPath?: string } = {}): Promise<SyncEngine> {
    const kube = this.settings.kube
    if (!kube) throw new Error(NO_KUBECONFIG)
    const chosen = context ? configForContext(kube, context) : kube.config
    // exec credential plugins run with the user's login-shell PATH (an app started from a menu has a short one)
    const { execPath, ...syncOptions } = options
    const config = execPath ? withUserPath(chosen, execPath) : chosen
    await this.stopSync()
    const name = config.getCurrentContext()
    const sync = new SyncEngine({ ...syncOptions, kubeConfig: config, clock: this.clock, onEvent: (event) => this.events.emit('sync', { ...event, context: name }) })
    this.#sync = sync
    await sync.start()
    return sync
  }

  /** The local proxy, when it runs. */
  get proxy(): VaultProxy | undefined {
    return this.#proxy
  }

  /** Runs the local Vault proxy in front of this engine's Vault, its events on the bus; resolves to its address. */
  async startProxy(options: Omit<ProxyOptions, 'upstream' | 'clock' | 'onEvent'> = {}): Promise<string> {
    await this.stopProxy()
    const proxy = new VaultProxy({ ...options, upstream: this.settings.vault, clock: this.clock, onEvent: (event) => this.events.emit('proxy', event) })
    const address = await proxy.start()
    this.#proxy = proxy
    return address
  }

  async stopProxy(): Promise<void> {
    const proxy = this.#proxy
    this.#proxy = undefined
    await proxy?.stop()
  }

  async stopSync(): Promise<void> {
    const sync = this.#sync
    this.#sync = undefined
    await sync?.stop()
  }

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
