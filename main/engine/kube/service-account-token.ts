// A short-lived ServiceAccount token from the TokenRequest API, as VSO obtains one for Vault's kubernetes and jwt auth.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node'

export interface ServiceAccountTokenRequest {
  namespace: string
  serviceAccount: string
  audiences: string[]
  /** VSO's default and minimum is 600. */
  expirationSeconds?: number
}

export async function requestServiceAccountToken(config: KubeConfig, request: ServiceAccountTokenRequest): Promise<string> {
  const core = config.makeApiClient(CoreV1Api)
  try {
    const response = await core.createNamespacedServiceAccountToken({
      name: request.serviceAccount,
      namespace: request.namespace,
      body: { spec: { audiences: request.audiences, expirationSeconds: Math.max(request.expirationSeconds ?? 600, 600) } },
    })
    const token = response.status?.token
    if (!token) throw new Error('the apiserver answered the TokenRequest without a token')
    return token
  } catch (error) {
    const code = (error as { code?: number }).code
    const who = `ServiceAccount ${request.namespace}/${request.serviceAccount}`
    if (code === 404) throw new Error(`${who} does not exist: create it, or name another in the auth settings.`, { cause: error })
    if (code === 403) throw new Error(`The kube-context may not create tokens for ${who}: it needs "create" on serviceaccounts/token in ${request.namespace}.`, { cause: error })
    throw new Error(`Could not get a token for ${who}: ${(error as Error).message}`, { cause: error })
  }
}
