// The one place that writes status and Events, with VSO's closed vocabulary of condition types and reasons,
// so `kubectl describe` reads the same whether VSO or Vault Tray synced a resource.
import { hostname } from 'node:os'
import type { Clock } from '../clock.ts'
import { isNotFound, type KubeApi } from '../kube/api.ts'
import { API_VERSION, PLURALS, type AnyResource, type Condition } from './api.ts'

export type EventReason =
  | 'Accepted'
  | 'InvalidConfiguration'
  | 'InvalidResourceRef'
  | 'K8sClientError'
  | 'RolloutRestartFailed'
  | 'RolloutRestartTriggered'
  | 'RolloutRestartUnsupported'
  | 'SecretLeaseRenewal'
  | 'SecretLeaseRenewalError'
  | 'SecretLeaseRevoke'
  | 'SecretRotated'
  | 'SecretSyncError'
  | 'SecretSynced'
  | 'StatusUpdateError'
  | 'VaultClientConfigError'
  | 'VaultClientError'
  | 'VaultStaticSecretError'
  | 'TransformationError'
  | 'SecretDataBuilderError'
  | 'EventWatcherError'
  | 'EventWatcherStarted'
  /** Vault Tray's own: a restart loop was stopped (VSO has no such guard). */
  | 'RolloutRestartLoop'
  /** Vault Tray's own: new credentials were refused because the resource used its minting budget (mint-budget.ts). */
  | 'MintBudgetExceeded'

export type ConditionType = 'SecretSynced' | 'Healthy' | 'Ready' | 'RolloutRestart' | 'LeaseRenewal' | 'ResourceValidation' | 'VaultClient' | 'VaultPing'

export interface ConditionUpdate {
  type: ConditionType
  ok: boolean
  reason: string
  message: string
}

/** One entry per type; lastTransitionTime is kept while type, status and reason stay the same. */
export function mergeConditions(existing: Condition[] | undefined, updates: ConditionUpdate[], generation: number, now: string): Condition[] {
  const merged = new Map((existing ?? []).map((condition) => [condition.type, condition]))
  for (const update of updates) {
    const status = update.ok ? 'True' : 'False'
    const previous = merged.get(update.type)
    const unchanged = previous && previous.status === status && previous.reason === update.reason
    merged.set(update.type, {
      type: update.type,
      status,
      reason: update.reason,
      // the CRD caps a condition message at 32768 characters
      message: update.message.slice(0, 32_768),
      lastTransitionTime: unchanged ? previous.lastTransitionTime : now,
      observedGeneration: generation,
    })
  }
  return [...merged.values()]
}

/** Healthy and Ready, which VSO sets on every reconcile of every kind. */
export function healthConditions(kind: string, ok: boolean, message?: string): ConditionUpdate[] {
  return [
    { type: 'Healthy', ok, reason: ok ? 'Healthy' : 'Unhealthy', message: message ?? `${kind}Healthy` },
    { type: 'Ready', ok, reason: 'Ready', message: message ?? `${kind}Ready` },
  ]
}

export function resourcePath(resource: Pick<AnyResource, 'kind' | 'metadata'>, subresource = ''): string {
  const { namespace, name } = resource.metadata
  return `/apis/${API_VERSION}/namespaces/${namespace}/${PLURALS[resource.kind]}/${name}${subresource ? `/${subresource}` : ''}`
}

/** A Kubernetes Event the writer recorded, reported for the engine's event log. */
export interface RecordedEvent {
  /** The sync key of the object it is about: Kind/namespace/name. */
  key: string
  type: 'Normal' | 'Warning'
  reason: EventReason
  message: string
}

export class StatusWriter {
  /** Identical events on one object are counted on one Event, as client-go's recorder does. */
  readonly #recent = new Map<string, { name: string; count: number }>()
  readonly #instance = hostname()

  constructor(
    private readonly kube: KubeApi,
    private readonly clock: Clock,
    private readonly onEvent: (event: RecordedEvent) => void = () => {},
  ) {}

  now(): string {
    return new Date(this.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z')
  }

  /** Replaces the status with this one (a merge patch of the status subresource). */
  async writeStatus<R extends AnyResource>(resource: R, status: NonNullable<R['status']>): Promise<void> {
    await this.kube.patch(resourcePath(resource, 'status'), { status })
  }

  async event(resource: Pick<AnyResource, 'kind' | 'metadata'>, type: 'Normal' | 'Warning', reason: EventReason, message: string): Promise<void> {
    const { namespace, name, uid } = resource.metadata
    const recorded = () => this.onEvent({ key: `${resource.kind}/${namespace}/${name}`, type, reason, message })
    const key = `${uid}\0${type}\0${reason}\0${message}`
    const now = this.now()
    const recent = this.#recent.get(key)
    if (recent) {
      recent.count++
      try {
        await this.kube.patch(`/api/v1/namespaces/${namespace}/events/${recent.name}`, { count: recent.count, lastTimestamp: now })
        return recorded()
      } catch (error) {
        if (!isNotFound(error)) throw error
        this.#recent.delete(key) // expired (events live an hour): make a new one
      }
    }
    const created = await this.kube.create<{ metadata: { name: string } }>(`/api/v1/namespaces/${namespace}/events`, {
      metadata: { generateName: `${name}.`, namespace },
      involvedObject: { apiVersion: API_VERSION, kind: resource.kind, name, namespace, uid, resourceVersion: resource.metadata.resourceVersion },
      reason,
      message,
      type,
      source: { component: resource.kind },
      reportingComponent: 'vault-tray',
      reportingInstance: this.#instance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    })
    if (this.#recent.size > 10_000) this.#recent.clear()
    this.#recent.set(key, { name: created.metadata.name, count: 1 })
    recorded()
  }

  /** Forgets a deleted object's events. */
  forget(uid: string): void {
    for (const key of this.#recent.keys()) if (key.startsWith(`${uid}\0`)) this.#recent.delete(key)
  }
}
