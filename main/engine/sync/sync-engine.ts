// The sync engine for one kube-context: watches VSO's custom resources and the Secrets it writes, runs each
// resource's reconciler from one work queue, and keeps a record per resource for the UI. When VSO itself runs
// in the cluster it only observes, unless the user opts a namespace in. It never adds a finalizer, so a
// deletion is never blocked while the laptop is away.
import { ListWatch, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node'
import { Registry } from 'prom-client'
import { systemClock, type Clock } from '../clock.ts'
import { KubeApi, KubeError } from '../kube/api.ts'
import { createLogger, type Logger } from '../telemetry/log.ts'
import { KvChangeFeed } from '../vault/changes.ts'
import { maskId } from '../vault/renewal.ts'
import { MintBudget } from './mint-budget.ts'
import { runtimeDir, takeLocalLock, WriterElection, writerIdentity, writerLeases, type LEASE_TIMING, type WriterStatus } from './writer-lease.ts'
import { API_VERSION, PLURALS, type AnyResource, type Kind, type SecretResource, type SecretTransformation, type VaultAuth, type VaultConnection, type VaultDynamicSecret } from './api.ts'
import { reconcileAuth, reconcileConnection, reconcileTransformation, type Verdict } from './config-resources.ts'
import { OWNER_LABELS, OWNER_UID_LABEL, type KubeSecret } from './destination.ts'
import { diagnose } from './diagnose.ts'
import { reconcileDynamicSecret } from './dynamic-secret.ts'
import { decodeSecretData, loadHmacKey, secretMac } from './hmac.ts'
import { memoryLedger, type LeaseLedger, type LedgerEntry } from './lease-ledger.ts'
import { syncMetrics, type SyncSnapshot } from './metrics.ts'
import { reconcilePkiSecret } from './pki-secret.ts'
import { WorkQueue } from './queue.ts'
import { failure, SyncFailure } from './failure.ts'
import { resolveVault, type SyncControl, type SyncOutcome, type SyncServices } from './reconciler.ts'
import { parseRef } from './refs.ts'
import { RolloutRestarter, type RolloutOptions } from './rollout.ts'
import { readStaticSecret, reconcileStaticSecret, validateStaticSecret } from './static-secret.ts'
import { StatusWriter, type RecordedEvent } from './status.ts'
import { VaultClientFactory, type AddressResolver, type VaultAccess } from './vault-clients.ts'
import { TokenCache, type TokenCacheStatus } from './token-cache.ts'
import type { Keychain } from '../cache/keychain.ts'
import type { Diagnosis, ResourceControl, SyncMode, SyncRecord } from '../../contract/index.ts'

export interface SyncEngineOptions {
  kubeConfig: KubeConfig
  clock?: Clock
  /** Where the default VaultAuth and the HMAC key live, as VSO's own namespace. */
  operatorNamespace?: string
  /**
   * `auto` observes when VSO runs in the cluster (or when that cannot be told) and writes otherwise;
   * `write` and `observe` decide it outright.
   */
  mode?: 'auto' | SyncMode
  /** Watch only these namespaces (VSO's watch namespaces); all when unset. References must stay inside them. */
  namespaces?: string[]
  /** Namespaces synced even while observing, because the user opted them in. */
  optInNamespaces?: string[]
  /** Reconciles at once; VSO's default is 100. */
  concurrency?: number
  excludeRaw?: boolean
  resolveAddress?: AddressResolver
  rollout?: RolloutOptions
  /** Instant updates where Vault has no event stream: how often the secret is read again. */
  instantPollMs?: number
  /** Where leases to revoke on deletion are remembered across restarts; in memory when unset. */
  ledger?: LeaseLedger
  /** Tells whether VSO runs in the cluster (kube/vso-detect.ts); without it, `auto` means write. */
  detectOperator?: (config: KubeConfig) => Promise<{ running: boolean | 'unknown'; evidence: string[] }>
  registry?: Registry
  log?: Logger
  version?: string
  onEvent?: (event: SyncEvent) => void
  /** The writer election (writer-lease.ts): where the local lock lives, and the Lease timing (tests shorten it). */
  writer?: { runtimeDir?: string; timing?: typeof LEASE_TIMING }
  /**
   * The persisted client cache (token-cache.ts): Vault tokens survive restarts. `off` turns it off with the reason
   * the window shows (VSO's persistence model `none`); unset, there is no client cache to speak of.
   */
  clientCache?: { file: string; keychain: Keychain } | { off: string }
}

/** The longest wait between a Vault event and the reconcile it starts. */
const EVENT_JITTER_MS = 100

/** How long stop() lets reconciles under way finish their writes. */
const STOP_GRACE_MS = 10_000

export type DryRun = { ok: true; keys: { key: string; bytes: number; masked: string }[] } | { ok: false; error: string; diagnosis: Diagnosis }

export type SyncEvent =
  | { kind: 'record'; record: SyncRecord }
  | { kind: 'removed'; key: string }
  | { kind: 'mode'; mode: SyncMode; evidence: string[]; writer?: WriterStatus }
  | { kind: 'client-cache'; status: TokenCacheStatus }
  | { kind: 'watch'; resource: string; ok: boolean; message: string }
  | { kind: 'lease-revoked'; key: string; leaseId: string; ok: boolean; message: string }
  /** A Kubernetes Event recorded on a resource (VSO's reasons), as `kubectl describe` shows it. */
  | ({ kind: 'kube-event' } & RecordedEvent)

const WATCHED: Kind[] = ['VaultConnection', 'VaultAuth', 'SecretTransformation', 'VaultStaticSecret', 'VaultDynamicSecret', 'VaultPKISecret']
const SECRET_KINDS = new Set<Kind>(['VaultStaticSecret', 'VaultDynamicSecret', 'VaultPKISecret'])

export const resourceKey = (kind: Kind, namespace: string, name: string) => `${kind}/${namespace}/${name}`

export class SyncEngine {
  readonly kube: KubeApi
  readonly registry: Registry
  readonly #options: SyncEngineOptions & { clock: Clock; operatorNamespace: string; log: Logger }
  /** Per kind, one informer per watched namespace, or one for the whole cluster (key ''). */
  readonly #informers = new Map<Kind, Map<string, ListWatch<AnyResource & KubernetesObject>>>()
  readonly #secrets = new Map<string, ListWatch<KubeSecret & KubernetesObject>>()
  readonly #records = new Map<string, SyncRecord>()
  readonly #controls = new Map<string, ResourceControl>()
  /** What last triggered a reconcile of each object: generation, labels and annotations (not status). */
  readonly #seen = new Map<string, string>()
  readonly #force = new Set<string>()
  readonly #queue: WorkQueue
  readonly #services: SyncServices
  readonly #vault: VaultClientFactory
  readonly #tokenCache: TokenCache | undefined
  readonly #cacheOff: TokenCacheStatus | undefined
  #mode: SyncMode = 'write'
  /** Why the mode is what it is: the operator check, then the writer Lease. */
  #modeEvidence: string[] = []
  /** Held in write mode: the local lock and the writer Lease. Without the Lease this engine only observes. */
  #election: WriterElection | undefined
  #unlock: (() => void) | undefined
  #stopped = false
  #hmacKey: Promise<Buffer> | undefined
  /** One change feed per Vault token (auth and namespace), and each resource's subscription to it. */
  readonly #feeds = new Map<string, { feed: KvChangeFeed; started: Promise<unknown> }>()
  readonly #subscriptions = new Map<string, () => void>()
  readonly #ledger: LeaseLedger
  readonly #leases = new Map<string, LedgerEntry>()

  constructor(options: SyncEngineOptions) {
    this.#options = { ...options, clock: options.clock ?? systemClock, operatorNamespace: options.operatorNamespace ?? 'vault-secrets-operator', log: options.log ?? createLogger({ level: 'silent' }) }
    const { clock, kubeConfig } = this.#options
    this.kube = new KubeApi(kubeConfig)
    this.registry = options.registry ?? new Registry()
    const metrics = syncMetrics(this.registry, () => this.#snapshot(), options.version ?? '0.0.0')
    const cache = options.clientCache
    this.#tokenCache = cache && 'file' in cache ? new TokenCache({ ...cache, clock, log: this.#options.log }) : undefined
    this.#cacheOff = cache && 'off' in cache ? { model: 'memory', reason: cache.off } : undefined
    this.#vault = new VaultClientFactory(
      this.kube,
      kubeConfig,
      clock,
      options.resolveAddress,
      (method, ok) => {
        if (!ok) metrics.authFailures.inc({ method })
      },
      this.#tokenCache,
    )
    this.#services = {
      kube: this.kube,
      clock,
      status: new StatusWriter(this.kube, clock, (event) => this.#emit({ kind: 'kube-event', ...event })),
      vault: this.#vault,
      rollout: new RolloutRestarter(this.kube, clock, options.rollout),
      lookup: {
        connection: (namespace, name) => this.#get<VaultConnection>('VaultConnection', namespace, name),
        auth: (namespace, name) => this.#get<VaultAuth>('VaultAuth', namespace, name),
        transformation: (namespace, name) => this.#get<SecretTransformation>('SecretTransformation', namespace, name),
        labelledSecret: (namespace, name) => this.#informerFor(this.#secrets, namespace)?.get(name, namespace),
        ownedSecrets: (namespace, uid) => (this.#informerFor(this.#secrets, namespace)?.list(namespace) ?? []).filter((secret) => secret.metadata.labels?.[OWNER_UID_LABEL] === uid),
      },
      hmacKey: () => (this.#hmacKey ??= loadHmacKey(this.kube, this.#options.operatorNamespace).catch((error: unknown) => {
        this.#hmacKey = undefined
        throw error
      })),
      operatorNamespace: this.#options.operatorNamespace,
      excludeRaw: options.excludeRaw ?? false,
      metrics,
      log: this.#options.log,
      written: new Map(),
      instantUpdates: (resource, access, path) => this.#instantUpdates(resource, access, path),
      mints: new MintBudget(clock),
    }
    this.#ledger = options.ledger ?? memoryLedger()
    // held until every informer has listed: a VaultStaticSecret reconciled before its VaultAuth is known would fail for nothing
    this.#queue = new WorkQueue((key) => this.#reconcile(key), clock, { concurrency: options.concurrency ?? 100, held: true }, (key, error, retryInMs) =>
      this.#options.log.warn({ resource: key, retryInMs, err: (error as Error).message }, 'reconcile failed'),
    )
  }

  get mode(): SyncMode {
    return this.#mode
  }

  /** Decides the mode, then lists and watches every kind; resolves once the first lists are in. */
  async start(): Promise<void> {
    this.#stopped = false
    await this.#decideMode()
    if (this.#mode === 'write') await this.#elect()
    const started: Promise<void>[] = []
    const selector = Object.entries(OWNER_LABELS).map(([key, value]) => `${key}=${value}`).join(',')
    for (const namespace of this.#options.namespaces ?? ['']) {
      for (const kind of WATCHED) started.push(this.#watchKind(kind, namespace))
      const secrets = this.#watch<KubeSecret & KubernetesObject>(`owned Secrets`, namespace ? `/api/v1/namespaces/${namespace}/secrets` : '/api/v1/secrets', selector, {
        delete: (secret) => this.#ownerOf(secret, (key) => this.#queue.addAfter(key, Math.round(this.#options.clock.random() * 500))),
        update: (secret) => void this.#checkHandEdit(secret),
      })
      this.#secrets.set(namespace, secrets)
      started.push(secrets.start())
    }
    await Promise.all(started)
    await this.#openTokenCache()
    this.#queue.release()
    await this.#revokeLeasesDeletedMeanwhile()
  }

  /** Before the first reconcile: the tokens of the last run are there to be taken up instead of logging in. */
  async #openTokenCache(): Promise<void> {
    if (!this.#tokenCache) return this.#cacheOff && this.#emit({ kind: 'client-cache', status: this.#cacheOff })
    const { operatorNamespace } = this.#options
    const connectionOf = (auth: VaultAuth) => {
      try {
        const ref = parseRef(auth.spec.vaultConnectionRef, 'spec.vaultConnectionRef', auth.metadata.namespace, operatorNamespace)
        return this.#get<VaultConnection>('VaultConnection', ref.namespace, ref.name)
      } catch {
        return undefined // a malformed reference: its own reconcile says what is wrong
      }
    }
    const status = await this.#tokenCache.open(this.#list('VaultAuth'), connectionOf, this.#vault, operatorNamespace)
    this.#emit({ kind: 'client-cache', status })
  }

  /** The persisted client cache, as the window shows it; undefined when the engine has none. */
  clientCache(): TokenCacheStatus | undefined {
    return this.#tokenCache?.status ?? this.#cacheOff
  }

  /** Leases recorded before a stop whose resource is gone now: it was deleted while the engine was away. */
  async #revokeLeasesDeletedMeanwhile(): Promise<void> {
    const present = new Set(this.#list('VaultDynamicSecret').map((resource) => resource.metadata.uid))
    for (const entry of this.#ledger.load()) {
      if (present.has(entry.uid)) {
        this.#leases.set(entry.uid, entry)
        continue
      }
      const { namespace, name, uid, leaseId, vaultAuthRef } = entry
      const gone = { kind: 'VaultDynamicSecret', metadata: { namespace, name, uid }, spec: { revoke: true, vaultAuthRef } } as VaultDynamicSecret
      await this.#revokeLease(resourceKey('VaultDynamicSecret', namespace, name), gone, leaseId)
    }
    this.#ledger.save([...this.#leases.values()])
  }

  #remember(resource: SecretResource, leaseId: string | undefined): void {
    const { uid, namespace, name } = resource.metadata
    const wanted = resource.kind === 'VaultDynamicSecret' && resource.spec.revoke && leaseId
    const known = this.#leases.get(uid)
    if (wanted && known?.leaseId === leaseId) return
    if (!wanted && !known) return
    if (wanted) this.#leases.set(uid, { uid, namespace, name, leaseId, vaultAuthRef: resource.spec.vaultAuthRef })
    else this.#leases.delete(uid)
    this.#ledger.save([...this.#leases.values()])
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#queue.stop()
    // a reconcile under way finishes its writes first: a lease it minted is then in its Secret and status, where the
    // next start resumes it; cut short, it would be an orphan and the next start would mint another
    let cancelGrace = () => {}
    await Promise.race([this.#queue.whenIdle(), new Promise<void>((resolve) => (cancelGrace = this.#options.clock.schedule(resolve, STOP_GRACE_MS)))])
    cancelGrace()
    await this.#election?.stop()
    this.#election = undefined
    this.#unlock?.()
    this.#unlock = undefined
    const informers = [...[...this.#informers.values()].flatMap((byNamespace) => [...byNamespace.values()]), ...this.#secrets.values()]
    await Promise.all(informers.map((informer) => informer.stop()))
    for (const { feed } of this.#feeds.values()) feed.stop()
    this.#feeds.clear()
    await this.#tokenCache?.close()
    this.#vault.close()
    this.kube.close()
  }

  /** Resolves once nothing is queued or running. */
  whenIdle(): Promise<void> {
    return this.#queue.whenIdle()
  }

  records(): SyncRecord[] {
    return [...this.#records.values()]
  }

  record(key: string): SyncRecord | undefined {
    return this.#records.get(key)
  }

  /** The resources of one kind as the watch last saw them (status included): what the Leases view reads. */
  resources<T extends AnyResource>(kind: Kind): T[] {
    return this.#list<T>(kind)
  }

  /** *Sync now*: one reconcile at once, fetching from Vault even if nothing is due. */
  syncNow(key: string): void {
    this.#force.add(key)
    this.#queue.add(key)
  }

  /** *Pause*: no reconcile until resumed; what is in the cluster stays as it is. */
  setPaused(key: string, paused: boolean): void {
    this.#setControl(key, { paused })
    if (!paused) this.#queue.add(key)
  }

  /** *Sync once*: after the first sync the destination is never rewritten. */
  setSyncOnce(key: string, once: boolean): void {
    this.#setControl(key, { once })
  }

  /**
   * Renders what a VaultStaticSecret would write, without writing: each key with its size, values masked. The
   * resource may be one not yet applied (an edited transformation). Dynamic and PKI secrets are refused, since
   * reading them creates credentials or certificates in Vault.
   */
  async dryRun(resource: AnyResource): Promise<DryRun> {
    if (resource.kind !== 'VaultStaticSecret') throw new Error(`A dry run of a ${resource.kind} would create credentials or a certificate in Vault, so it is not offered: use a VaultStaticSecret, or sync and inspect the result.`)
    try {
      validateStaticSecret(resource)
      const access = await resolveVault(resource, this.#services)
      const data = await readStaticSecret(resource, access, this.#services)
      return { ok: true, keys: Object.entries(data).map(([key, value]) => ({ key, bytes: value.length, masked: '••••••••' })) }
    } catch (error) {
      const failed = error instanceof SyncFailure ? error : failure('VaultStaticSecretError', error)
      return { ok: false, error: failed.message, diagnosis: await diagnose(resource, failed, undefined) }
    }
  }

  controls(): Record<string, ResourceControl> {
    return Object.fromEntries(this.#controls)
  }

  #setControl(key: string, change: Partial<ResourceControl>): void {
    const control = { ...(this.#controls.get(key) ?? { paused: false, once: false }), ...change }
    this.#controls.set(key, control)
    const record = this.#records.get(key)
    if (record) this.#publish({ ...record, control, state: control.paused ? 'paused' : record.state === 'paused' ? 'pending' : record.state })
  }

  /** Who writes this kube-context, when this engine is in write mode: itself, or the holder of the writer Lease. */
  writer(): WriterStatus | undefined {
    return this.#election?.status
  }

  /** *Take over*: this engine takes the writer Lease from the copy that holds it; that copy stops writing. */
  async takeOver(): Promise<WriterStatus> {
    if (!this.#election) throw new Error(`This sync engine is in ${this.#mode} mode by its settings, not waiting for the writer Lease: start it with --mode write to take over.`)
    return this.#election.takeOver()
  }

  /**
   * Write mode needs the local lock (a second copy on this machine is refused at once, with who holds it) and the
   * writer Lease (a copy elsewhere observes until this one stops or its Lease expires).
   */
  async #elect(): Promise<void> {
    const { namespaces, operatorNamespace, kubeConfig, clock, writer } = this.#options
    const identity = writerIdentity()
    const scope = `kube-context "${this.kube.context}" (${namespaces?.length ? `namespace${namespaces.length > 1 ? 's' : ''} ${[...namespaces].sort().join(', ')}` : 'all namespaces'})`
    const lockKey = [kubeConfig.getCurrentUser()?.name ?? '', this.kube.context, this.kube.server, scope].join('\n')
    this.#unlock = takeLocalLock(writer?.runtimeDir ?? runtimeDir(), lockKey, scope, identity)
    this.#election = new WriterElection({
      kube: this.kube,
      clock,
      identity,
      operatorNamespace,
      ...writerLeases(operatorNamespace, namespaces),
      timing: writer?.timing,
      onChange: (status) => this.#writerChanged(status),
    })
    // its first round reports through onChange, so the mode is said once
    await this.#election.start()
  }

  #writerChanged(status: WriterStatus): void {
    const wasWriting = this.#mode === 'write'
    const evidence = [...this.#modeEvidence, status.reason]
    this.#mode = status.leader ? 'write' : 'observe'
    this.#options.log[status.leader ? 'info' : 'warn']({ mode: this.#mode, writer: status }, status.leader ? 'writer Lease held' : 'observing: the writer Lease is not ours')
    this.#emit({ kind: 'mode', mode: this.#mode, evidence, writer: status })
    // what was only observed is reconciled now; resuming leases where they are valid mints nothing
    if (status.leader && !wasWriting) for (const key of this.#records.keys()) this.#queue.add(key)
  }

  async #decideMode(): Promise<void> {
    const { mode = 'auto', detectOperator } = this.#options
    if (mode !== 'auto') return this.#setMode(mode, [`mode set to ${mode} in settings`])
    if (!detectOperator) return this.#setMode('write', ['no operator check configured'])
    const found = await detectOperator(this.#options.kubeConfig)
    if (found.running === false) return this.#setMode('write', found.evidence)
    this.#setMode('observe', found.running === 'unknown' ? ['could not tell whether VSO runs in the cluster, so only observing', ...found.evidence] : found.evidence)
  }

  #setMode(mode: SyncMode, evidence: string[]): void {
    this.#mode = mode
    this.#modeEvidence = evidence
    // write mode is said once the writer Lease is decided (#writerChanged)
    if (mode === 'write') return
    this.#options.log.info({ mode, evidence }, 'sync mode')
    this.#emit({ kind: 'mode', mode, evidence })
  }

  #writes(namespace: string): boolean {
    return this.#mode === 'write' || (this.#options.optInNamespaces ?? []).includes(namespace)
  }

  #informerFor<T>(byNamespace: Map<string, T> | undefined, namespace: string): T | undefined {
    return byNamespace?.get(namespace) ?? byNamespace?.get('')
  }

  #get<T extends AnyResource>(kind: Kind, namespace: string, name: string): T | undefined {
    return this.#informerFor(this.#informers.get(kind), namespace)?.get(name, namespace) as T | undefined
  }

  #list<T extends AnyResource>(kind: Kind): T[] {
    return [...(this.#informers.get(kind)?.values() ?? [])].flatMap((informer) => informer.list()) as T[]
  }

  #watchKind(kind: Kind, namespace: string): Promise<void> {
    const path = namespace ? `/apis/${API_VERSION}/namespaces/${namespace}/${PLURALS[kind]}` : `/apis/${API_VERSION}/${PLURALS[kind]}`
    const changed = (object: AnyResource) => {
      const key = resourceKey(kind, object.metadata.namespace, object.metadata.name)
      const fingerprint = JSON.stringify([object.metadata.generation, object.metadata.labels ?? {}, object.metadata.annotations ?? {}])
      if (this.#seen.get(key) === fingerprint) return // our own status write
      this.#seen.set(key, fingerprint)
      this.#queue.add(key)
      if (!SECRET_KINDS.has(kind)) for (const dependent of this.#dependents(object)) this.#queue.add(dependent)
    }
    const informer = this.#watch<AnyResource & KubernetesObject>(kind, path, undefined, {
      add: changed,
      update: changed,
      delete: (object) => this.#deleted(kind, object),
    })
    if (!this.#informers.has(kind)) this.#informers.set(kind, new Map())
    this.#informers.get(kind)!.set(namespace, informer)
    return informer.start()
  }

  /** A ListWatch that reports its failures and resumes from its last resourceVersion, so no change is missed. */
  #watch<T extends KubernetesObject>(label: string, path: string, labelSelector: string | undefined, handlers: { add?: (object: T) => void; update?: (object: T) => void; delete?: (object: T) => void }): ListWatch<T> {
    const list = () => this.kube.get<{ items: T[]; metadata: { resourceVersion: string } }>(path, { labelSelector })
    const informer = new ListWatch<T>(path, new Watch(this.#options.kubeConfig), list as never, false, labelSelector)
    if (handlers.add) informer.on('add', handlers.add)
    if (handlers.update) informer.on('update', handlers.update)
    if (handlers.delete) informer.on('delete', handlers.delete)
    let failures = 0
    informer.on('connect', () => {
      if (failures > 0) this.#emit({ kind: 'watch', resource: label, ok: true, message: `watching ${label} again` })
      failures = 0
    })
    informer.on('error', (error: unknown) => {
      if (this.#stopped) return
      failures++
      this.#services.metrics.apiserverFailures.inc()
      const retryMs = Math.min(1_000 * 2 ** Math.min(failures - 1, 5), 30_000)
      const why = error instanceof KubeError && error.status === 404 && path.startsWith('/apis/') ? `the ${label} custom resource is not installed in this cluster: install VSO's CRDs` : ((error as Error).message ?? String(error))
      const message = `watch of ${label} on kube-context "${this.kube.context}" failed (${why}); retrying in ${retryMs / 1000}s`
      this.#options.log.warn({ resource: label }, message)
      this.#emit({ kind: 'watch', resource: label, ok: false, message })
      this.#options.clock.schedule(() => {
        if (!this.#stopped) void informer.start().catch(() => {})
      }, retryMs)
    })
    return informer
  }

  /** The secret resources that use this VaultConnection, VaultAuth or SecretTransformation. */
  #dependents(object: AnyResource): string[] {
    const { operatorNamespace } = this.#options
    const matches = (ref: { namespace: string; name: string }) => ref.namespace === object.metadata.namespace && ref.name === object.metadata.name
    const keys: string[] = []
    for (const kind of SECRET_KINDS) {
      for (const resource of this.#list<SecretResource>(kind)) {
        const { namespace } = resource.metadata
        try {
          const authRef = parseRef(resource.spec.vaultAuthRef, 'spec.vaultAuthRef', namespace, operatorNamespace)
          const auth = this.#get<VaultAuth>('VaultAuth', authRef.namespace, authRef.name)
          const uses =
            object.kind === 'VaultAuth'
              ? matches(authRef)
              : object.kind === 'VaultConnection'
                ? Boolean(auth && matches(parseRef(auth.spec.vaultConnectionRef, 'spec.vaultConnectionRef', auth.metadata.namespace, operatorNamespace)))
                : (resource.spec.destination.transformation?.transformationRefs ?? []).some((ref) => matches({ namespace: ref.namespace ?? namespace, name: ref.name }))
          if (uses) keys.push(resourceKey(resource.kind, namespace, resource.metadata.name))
        } catch {
          // a malformed ref: its own reconcile reports it
        }
      }
    }
    return keys
  }

  async #reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const [kind, namespace, name] = key.split('/') as [Kind, string, string]
    const resource = this.#get<AnyResource>(kind, namespace, name)
    if (!resource) return
    const control = this.#controls.get(key) ?? { paused: false, once: false }
    const force = this.#force.delete(key)
    const base = { key, kind, namespace, name, destination: (resource.spec as { destination?: { name: string } }).destination?.name, control, drift: false }
    if (control.paused) return this.#publish({ ...base, state: 'paused', message: 'paused by you' })
    if (!this.#writes(namespace)) return this.#publish({ ...base, ...observed(resource, this.#election?.status.holder ? `${this.#election.status.holder.identity} writes this kube-context` : 'VSO runs in this cluster') })

    const metrics = this.#services.metrics
    const controller = kind.toLowerCase()
    const end = metrics.reconcileSeconds.startTimer({ controller })
    try {
      if (!SECRET_KINDS.has(kind)) {
        const verdict = await this.#reconcileConfig(resource)
        this.#publish({ ...base, state: verdict.valid ? 'synced' : 'invalid', message: verdict.message, lastSyncAt: this.#options.clock.now() })
        metrics.reconciles.inc({ controller, result: verdict.requeueAfterMs ? 'requeue_after' : 'success' })
        return { requeueAfterMs: verdict.requeueAfterMs }
      }
      const syncControl: SyncControl = { force, once: control.once }
      const outcome = await this.#reconcileSecret(resource as SecretResource, syncControl)
      if (outcome.ok) this.#remember(resource as SecretResource, outcome.leaseId)
      this.#publishOutcome(base, outcome)
      metrics.syncs.inc({ kind, outcome: outcome.ok ? (outcome.drift ? 'repaired' : outcome.message) : 'failed' })
      metrics.reconciles.inc({ controller, result: outcome.requeueAfterMs ? 'requeue_after' : 'success' })
      return { requeueAfterMs: outcome.requeueAfterMs }
    } catch (error) {
      const outcome = (error as { outcome?: SyncOutcome }).outcome
      if (outcome) this.#publishOutcome(base, outcome)
      else this.#publish({ ...base, state: 'failing', message: (error as Error).message })
      metrics.syncs.inc({ kind, outcome: 'failed' })
      metrics.reconciles.inc({ controller, result: 'error' })
      metrics.reconcileErrors.inc({ controller })
      throw error
    } finally {
      end()
    }
  }

  #reconcileSecret(resource: SecretResource, control: SyncControl): Promise<SyncOutcome> {
    switch (resource.kind) {
      case 'VaultStaticSecret':
        return reconcileStaticSecret(resource, control, this.#services)
      case 'VaultDynamicSecret':
        return reconcileDynamicSecret(resource, control, this.#services)
      case 'VaultPKISecret':
        return reconcilePkiSecret(resource, control, this.#services)
    }
  }

  #reconcileConfig(resource: AnyResource): Promise<Verdict> {
    switch (resource.kind) {
      case 'VaultConnection':
        return reconcileConnection(resource, this.#services)
      case 'VaultAuth':
        return reconcileAuth(resource, this.#services)
      case 'SecretTransformation':
        return reconcileTransformation(resource, this.#services)
      default:
        throw new Error(`${resource.kind} is a secret kind`)
    }
  }

  #publishOutcome(base: Omit<SyncRecord, 'state' | 'message'>, outcome: SyncOutcome): void {
    const now = this.#options.clock.now()
    const previous = this.#records.get(base.key)
    this.#publish({
      ...base,
      state: outcome.ok ? 'synced' : outcome.invalid ? 'invalid' : 'failing',
      message: outcome.message,
      drift: outcome.drift,
      diagnosis: outcome.diagnosis,
      route: outcome.route ?? previous?.route,
      lastSyncAt: outcome.ok ? now : previous?.lastSyncAt,
      nextSyncAt: outcome.requeueAfterMs ? now + outcome.requeueAfterMs : undefined,
    })
  }

  #publish(record: SyncRecord): void {
    this.#records.set(record.key, record)
    this.#emit({ kind: 'record', record })
  }

  #emit(event: SyncEvent): void {
    this.#options.onEvent?.(event)
  }

  #deleted(kind: Kind, object: AnyResource): void {
    const key = resourceKey(kind, object.metadata.namespace, object.metadata.name)
    this.#queue.forget(key)
    this.#subscriptions.get(key)?.()
    this.#subscriptions.delete(key)
    this.#seen.delete(key)
    this.#records.delete(key)
    this.#services.written.delete(object.metadata.uid)
    this.#services.mints.forget(object.metadata.uid)
    this.#services.status.forget(object.metadata.uid)
    this.#emit({ kind: 'removed', key })
    if (kind === 'VaultDynamicSecret') {
      // the ledger knows the latest lease even when the deleted object's status lags behind
      const recorded = this.#leases.get(object.metadata.uid)
      void this.#revokeLease(key, object as VaultDynamicSecret, recorded?.leaseId ?? (object as VaultDynamicSecret).status?.secretLease?.id)
      if (recorded) {
        this.#leases.delete(object.metadata.uid)
        this.#ledger.save([...this.#leases.values()])
      }
    }
    if (!SECRET_KINDS.has(kind)) for (const dependent of this.#dependents(object)) this.#queue.add(dependent)
  }

  /** `spec.revoke`: the lease of a deleted VaultDynamicSecret is revoked when the engine sees the deletion. */
  async #revokeLease(key: string, resource: VaultDynamicSecret, leaseId = resource.status?.secretLease?.id): Promise<void> {
    if (!resource.spec.revoke || !leaseId || !this.#writes(resource.metadata.namespace)) return
    try {
      // the same VaultAuth and VaultConnection that fetched the lease, resolved as every reconcile resolves them
      const access = await resolveVault(resource, this.#services)
      await access.client.request({ method: 'PUT', path: 'sys/leases/revoke', token: await access.token(), body: { lease_id: leaseId } })
      this.#emit({ kind: 'lease-revoked', key, leaseId: maskId(leaseId), ok: true, message: `revoked lease ${maskId(leaseId)} of deleted ${key}` })
    } catch (error) {
      this.#emit({ kind: 'lease-revoked', key, leaseId: maskId(leaseId), ok: false, message: `could not revoke lease ${maskId(leaseId)} of deleted ${key}: ${(error as Error).message}` })
    }
  }

  async #instantUpdates(resource: SecretResource, access: VaultAccess, path: { mount: string; path: string }): Promise<{ via: 'events' } | { via: 'polling'; everyMs: number; reason: string }> {
    const everyMs = this.#options.instantPollMs ?? 5_000
    let feed = this.#feeds.get(access.meta().cacheKey)
    if (!feed) {
      const created = new KvChangeFeed(access.client, access.token, {
        clock: this.#options.clock,
        pollIntervalMs: everyMs,
        onProblem: (problem) => this.#options.log.warn({ vault: access.client.address }, problem),
      })
      feed = { feed: created, started: created.start() }
      this.#feeds.set(access.meta().cacheKey, feed)
    }
    const status = await feed.started.then(() => feed.feed.status)
    if (status.mode === 'polling') return { via: 'polling', everyMs, reason: status.reason }
    const key = resourceKey(resource.kind, resource.metadata.namespace, resource.metadata.name)
    if (!this.#subscriptions.has(key)) {
      // VSO spreads the reconciles an event starts over up to 2 s; an event names one path, so the resources it starts
      // are few: spread over 100 ms, a write reaches the Secret in a fraction of a second
      this.#subscriptions.set(key, feed.feed.watch(path.mount, path.path, () => this.#queue.addAfter(key, Math.round(this.#options.clock.random() * EVENT_JITTER_MS)), access.token))
      await this.#services.status.event(resource, 'Normal', 'EventWatcherStarted', 'Started watching events from Vault')
    }
    return { via: 'events' }
  }

  #ownerOf(secret: KubeSecret, then: (key: string) => void): void {
    const ref = secret.metadata.ownerReferences?.[0]
    if (ref?.apiVersion === API_VERSION && SECRET_KINDS.has(ref.kind as Kind)) then(resourceKey(ref.kind as Kind, secret.metadata.namespace, ref.name))
  }

  /** A destination changed by someone else: its MAC differs from what we wrote, so repair it now. */
  async #checkHandEdit(secret: KubeSecret): Promise<void> {
    const uid = secret.metadata.labels?.[OWNER_UID_LABEL]
    const written = uid && this.#services.written.get(uid)
    if (!written || !this.#hmacKey) return
    const mac = secretMac(await this.#hmacKey, decodeSecretData(secret.data))
    if (mac !== written) this.#ownerOf(secret, (key) => this.#queue.add(key))
  }

  #snapshot(): SyncSnapshot {
    const resources: SyncSnapshot['resources'] = []
    const orphans: SyncSnapshot['orphans'] = []
    const secrets: SyncSnapshot['secrets'] = []
    const authMethods: string[] = []
    for (const kind of this.#informers.keys()) {
      for (const object of this.#list(kind)) {
        const { namespace, name } = object.metadata
        const record = this.#records.get(resourceKey(kind, namespace, name))
        resources.push({ kind, namespace, name, valid: record ? record.state === 'synced' : Boolean((object.status as { valid?: boolean } | undefined)?.valid) })
        if (kind === 'VaultAuth') authMethods.push((object as VaultAuth).spec.method ?? 'kubernetes')
        if (SECRET_KINDS.has(kind)) secrets.push({ namespace, kind })
        if (record?.diagnosis && /does not exist/.test(record.diagnosis.cause) && /VaultAuth|VaultConnection/.test(record.diagnosis.cause)) orphans.push({ kind })
      }
    }
    return { resources, orphans, secrets, authMethods, queueDepth: this.#queue.length, activeWorkers: this.#queue.activeWorkers }
  }
}

/** While observing: the state as the status written by the writer (VSO, or the copy holding the Lease) tells it. */
function observed(resource: AnyResource, why: string): Pick<SyncRecord, 'state' | 'message' | 'lastSyncAt'> {
  const conditions = (resource.status as { conditions?: { type: string; status: string; message: string; lastTransitionTime: string }[] } | undefined)?.conditions ?? []
  const synced = conditions.find((condition) => condition.type === 'SecretSynced') ?? conditions.find((condition) => condition.type === 'Healthy')
  // the status is the writer's: VSO's, or another Vault Tray's
  const verdict = synced ? `${synced.status === 'True' ? 'synced' : 'not synced'} by the writer: ${synced.message}` : 'no status from the writer yet'
  return { state: 'observed', message: `observing only (${why}); ${verdict}`, lastSyncAt: synced ? Date.parse(synced.lastTransitionTime) : undefined }
}
