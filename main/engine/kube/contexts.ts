// The user's kube-contexts, read the way kubectl reads them: KUBECONFIG (a list of files, merged) or ~/.kube/config.
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
  const config = new KubeConfig()
  config.loadFromFile(files[0]!)
  for (const file of files.slice(1)) {
    const next = new KubeConfig()
    next.loadFromFile(file)
    // as kubectl: the first file that names a current-context decides it
    config.mergeConfig(next, Boolean(config.currentContext))
  }
  return { config, files }
}
