// The user's kube-contexts, read the way kubectl reads them: KUBECONFIG (a list of files, merged) or ~/.kube/config.
// Each context gets a KubeConfig of its own: switching context means picking another config, never mutating one.
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'

export interface LoadedKubeConfig {
  config: KubeConfig
  /** The files it was read from, for messages. */
  files: string[]
}

/** Undefined when the user has no kubeconfig at all (then there is no context to talk to). */
export function loadKubeConfig(env: NodeJS.ProcessEnv = process.env): LoadedKubeConfig | undefined {
  const files = env.KUBECONFIG
    ? env.KUBECONFIG.split(delimiter).filter((file) => file && existsSync(file))
    : [join(env.HOME || homedir(), '.kube', 'config')].filter((file) => existsSync(file))
  if (files.length === 0) return undefined
  const config = readFile(files[0]!)
  for (const file of files.slice(1)) mergeFirstWins(config, readFile(file))
  return { config, files }
}

function readFile(file: string): KubeConfig {
  const config = new KubeConfig()
  try {
    config.loadFromFile(file)
  } catch (error) {
    throw new Error(`The kubeconfig ${file} could not be read: ${(error as Error).message}. Fix that file or remove it from KUBECONFIG.`, { cause: error })
  }
  return config
}

/**
 * As kubectl merges: the first file that names a current-context decides it, and the first file that defines a
 * cluster, user or context of a given name wins (client-node's mergeConfig would throw on the duplicate instead).
 */
function mergeFirstWins(into: KubeConfig, next: KubeConfig): void {
  if (!into.getCurrentContext() && next.getCurrentContext()) into.setCurrentContext(next.getCurrentContext())
  const has = (list: { name: string }[], name: string) => list.some((entry) => entry.name === name)
  for (const cluster of next.getClusters()) if (!has(into.getClusters(), cluster.name)) into.addCluster(cluster)
  for (const user of next.getUsers()) if (!has(into.getUsers(), user.name)) into.addUser(user)
  for (const context of next.getContexts()) if (!has(into.getContexts(), context.name)) into.addContext(context)
}

export interface KubeContextSummary {
  name: string
  cluster: string
  /** Undefined when the context names a cluster that no kubeconfig file defines. */
  server: string | undefined
  /** Undefined for a context without a user (anonymous requests). */
  user: string | undefined
  /** The context's default namespace, "default" when it names none (as kubectl). */
  namespace: string
  current: boolean
}

/** Every context of the merged kubeconfig, in file order. */
export function listContexts(loaded: LoadedKubeConfig): KubeContextSummary[] {
  const { config } = loaded
  return config.getContexts().map((context) => ({
    name: context.name,
    cluster: context.cluster,
    server: config.getCluster(context.cluster)?.server,
    user: context.user || undefined,
    namespace: context.namespace || 'default',
    current: context.name === config.getCurrentContext(),
  }))
}

/**
 * A KubeConfig of its own for one context: its current context is that one, and it holds only that context's
 * cluster and user, so a client made from it can never drift to another context. Exec-plugin tokens are cached
 * per KubeConfig, so each context keeps its own.
 */
export function configForContext(loaded: LoadedKubeConfig, name: string): KubeConfig {
  const { config, files } = loaded
  const context = config.getContextObject(name)
  const where = files.join(delimiter)
  if (!context) {
    const known = config.getContexts().map((entry) => `"${entry.name}"`)
    const choices = known.length ? `The contexts there are ${known.join(', ')}.` : 'It defines no contexts.'
    throw new Error(`There is no kube-context "${name}" in ${where}. ${choices} Pick one of those, or add it with kubectl config set-context.`)
  }
  const cluster = config.getCluster(context.cluster)
  if (!cluster) throw new Error(`kube-context "${name}" names cluster "${context.cluster}", which ${where} does not define. Add that cluster or fix the context.`)
  const user = context.user ? config.getUser(context.user) : null
  if (context.user && !user) throw new Error(`kube-context "${name}" names user "${context.user}", which ${where} does not define. Add that user or fix the context.`)
  const single = new KubeConfig()
  single.loadFromOptions({ clusters: [cluster], users: user ? [user] : [], contexts: [context], currentContext: name })
  return single
}
