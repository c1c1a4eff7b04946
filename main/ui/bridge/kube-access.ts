// The apiserver the window reads from (Secrets to inspect, resources' YAML): the sync engine's own client when it
// runs, so both look at the same kube-context, else one for the kubeconfig's current context, made once.
import { BridgeError } from '../../contract/index.ts'
import { KubeApi, KubeError } from '../../engine/kube/api.ts'
import { loadKubeConfig } from '../../engine/kube/contexts.ts'
import type { BridgeContext } from './context.ts'

export function kubeAccess({ engine, env }: BridgeContext): () => KubeApi {
  let own: KubeApi | undefined
  return () => {
    if (engine.sync) return engine.sync.kube
    if (own) return own
    const loaded = loadKubeConfig(env)
    if (!loaded) throw new BridgeError('unavailable', 'No kubeconfig found (KUBECONFIG is unset and ~/.kube/config does not exist). Point KUBECONFIG at one.')
    return (own = new KubeApi(loaded.config))
  }
}

/** An apiserver failure as the window shows it: the apiserver's own words, with a code the renderer can act on. */
export function kubeFailure(error: unknown): unknown {
  if (!(error instanceof KubeError)) return error
  const code = error.status === 404 ? 'not-found' : error.status === 403 ? 'forbidden' : error.status === 0 ? 'unavailable' : 'failed'
  return new BridgeError(code, error.message)
}
