// A synced resource as the apiserver has it, in YAML, for the Secrets view's "YAML" dialog.
import { dump } from 'js-yaml'
import { BridgeError, type InvokeHandlers } from '../../contract/index.ts'
import { API_VERSION, PLURALS, type Kind } from '../../engine/sync/api.ts'
import type { BridgeContext, BridgePart } from './context.ts'
import { kubeAccess, kubeFailure } from './kube-access.ts'

export function yamlPart(context: BridgeContext): BridgePart<Pick<InvokeHandlers, 'sync:yaml'>> {
  const kube = kubeAccess(context)
  return {
    handlers: {
      'sync:yaml': async (key) => {
        const [kind = '', namespace, name] = key.split('/')
        if (!Object.hasOwn(PLURALS, kind)) throw new BridgeError('bad-arguments', `${kind} is not a kind of ${API_VERSION}: use one of ${Object.keys(PLURALS).join(', ')}.`)
        const object = await kube()
          .get<{ metadata?: { managedFields?: unknown } }>(`/apis/${API_VERSION}/namespaces/${namespace}/${PLURALS[kind as Kind]}/${name}`)
          .catch((error: unknown) => Promise.reject(kubeFailure(error)))
        // managedFields is bookkeeping of who set which field: long, and not what anyone opens the YAML for
        delete object.metadata?.managedFields
        return dump(object, { noRefs: true, lineWidth: 120, sortKeys: false })
      },
    },
  }
}
