import { ApiException, VersionApi, type KubeConfig } from '@kubernetes/client-node'
import type { KubeHealth } from '../../contract/index.ts'

/** Asks the current context's apiserver for its version; never throws. */
export async function readKubeHealth(config: KubeConfig): Promise<KubeHealth> {
  const context = config.getCurrentContext()
  const server = config.getCurrentCluster()?.server ?? ''
  if (!server) return { context, server, reachable: false, error: `kube-context "${context}" names no cluster with a server. Check your kubeconfig.` }
  try {
    const version = await config.makeApiClient(VersionApi).getCode()
    return { context, server, reachable: true, version: version.gitVersion }
  } catch (error) {
    return { context, server, reachable: false, error: explainKubeError(context, server, error) }
  }
}

function explainKubeError(context: string, server: string, error: unknown): string {
  const where = `kube-context "${context}" (${server})`
  if (error instanceof ApiException) {
    if (error.code === 401) return `${where} rejected its credentials (401). Log in again or fix the user of this context.`
    if (error.code === 403) return `${where} refused access (403). Ask for permission to read /version.`
    return `${where} answered HTTP ${error.code}.`
  }
  const cause = (error as { cause?: NodeJS.ErrnoException }).cause ?? (error as NodeJS.ErrnoException)
  if (cause.code === 'ECONNREFUSED') return `${where} refused the connection: is the cluster running?`
  if (cause.code === 'ENOTFOUND') return `${where} cannot be resolved. Check the server address in your kubeconfig.`
  return `${where} could not be reached: ${cause.message ?? String(error)}`
}
