// Rollout restarts, done the way `kubectl rollout restart` does them: a new pod-template annotation (VSO's
// `vso.secrets.hashicorp.com/restartedAt`), or `spec.restartAt` for an Argo Rollout. Requests for one workload
// that arrive within a short window share one restart, and a workload restarted too often is left alone.
import type { Clock } from '../clock.ts'
import { KubeError, type KubeApi } from '../kube/api.ts'
import type { RolloutRestartTarget } from './api.ts'

export const RESTARTED_AT_ANNOTATION = 'vso.secrets.hashicorp.com/restartedAt'

export interface RestartResult {
  target: RolloutRestartTarget
  ok: boolean
  /** The restart was refused because the workload was restarted too often: a loop. */
  loop?: boolean
  message: string
}

export interface RolloutOptions {
  /** Requests within this window after the first share one restart. */
  coalesceMs: number
  /** More than maxRestarts within loopWindowMs is a loop: further restarts are refused until it calms down. */
  maxRestarts: number
  loopWindowMs: number
}

const APPS_PLURALS = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' } as const

export class RolloutRestarter {
  readonly #pending = new Map<string, Promise<RestartResult>>()
  readonly #history = new Map<string, number[]>()

  constructor(
    private readonly kube: KubeApi,
    private readonly clock: Clock,
    private readonly options: RolloutOptions = { coalesceMs: 1_000, maxRestarts: 5, loopWindowMs: 10 * 60_000 },
  ) {}

  /** Restarts each target (in the resource's namespace); resolves when each has been restarted or refused. */
  restart(namespace: string, targets: RolloutRestartTarget[]): Promise<RestartResult[]> {
    return Promise.all(targets.map((target) => this.#restartOne(namespace, target)))
  }

  #restartOne(namespace: string, target: RolloutRestartTarget): Promise<RestartResult> {
    const key = `${namespace}/${target.kind}/${target.name}`
    let pending = this.#pending.get(key)
    if (!pending) {
      pending = new Promise<void>((resolve) => this.clock.schedule(resolve, this.options.coalesceMs))
        .then(() => {
          this.#pending.delete(key)
          return this.#patch(key, namespace, target)
        })
      this.#pending.set(key, pending)
    }
    return pending
  }

  async #patch(key: string, namespace: string, target: RolloutRestartTarget): Promise<RestartResult> {
    const now = this.clock.now()
    const recent = (this.#history.get(key) ?? []).filter((at) => now - at < this.options.loopWindowMs)
    const what = `${target.kind} ${namespace}/${target.name}`
    if (recent.length >= this.options.maxRestarts) {
      this.#history.set(key, recent)
      const minutes = Math.round(this.options.loopWindowMs / 60_000)
      return { target, ok: false, loop: true, message: `${what} was restarted ${recent.length} times in ${minutes} min; not restarting it again, as its secret keeps changing. Check what rotates it (a renewalPercent or refreshAfter that is too short, or two resources writing one Secret).` }
    }
    const restartedAt = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z')
    try {
      if (target.kind === 'argo.Rollout') {
        await this.kube.patch(`/apis/argoproj.io/v1alpha1/namespaces/${namespace}/rollouts/${target.name}`, { spec: { restartAt: restartedAt } })
      } else {
        const path = `/apis/apps/v1/namespaces/${namespace}/${APPS_PLURALS[target.kind]}/${target.name}`
        if (target.kind === 'Deployment') {
          const deployment = await this.kube.get<{ spec?: { paused?: boolean } }>(path)
          if (deployment.spec?.paused) return { target, ok: false, message: `${what} is paused: resume it (kubectl rollout resume) to let it restart.` }
        }
        await this.kube.patch(path, { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } } }, 'strategic')
      }
      this.#history.set(key, [...recent, now])
      return { target, ok: true, message: `${what} restarted at ${restartedAt}` }
    } catch (error) {
      const why = error instanceof KubeError && error.status === 404 ? `${what} does not exist` : (error as Error).message
      return { target, ok: false, message: `Could not restart ${what}: ${why}` }
    }
  }
}
