// Which Vault, cluster and PostgreSQL the lab uses: chosen once, at the first `up`, from what the user asked for
// and what this machine has, then kept in the lab's state. Everything missing is said at once, with how to get
// it, before anything is started.
import { existsSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { loadKubeConfig } from '../kube/contexts.ts'
import { cachedBao, cacheDir, findBinary, onPath, postgresBinDir } from './binaries.ts'
import type { LabPorts, Providers } from './context.ts'
import { isPortFree } from './process.ts'
import { recordedPorts } from './servers.ts'
import { defaultLabDir, type ClusterProviderState, type LabPaths, type LabState, type PostgresProviderState, type VaultProviderState } from './state.ts'
import { vaultFlavor } from './vault-server.ts'

export type ClusterChoice = 'auto' | 'local' | 'kind' | 'minikube' | 'current'

export interface ProviderOptions {
  /** A bao or vault binary to run the lab's Vault with. */
  vaultBin?: string
  /** A Vault the user runs; the lab then starts none. */
  vaultAddr?: string
  cluster?: ClusterChoice
  /** A context of the user's kubeconfig (implies cluster `current`). */
  context?: string
  /** postgresql://USER[:PASSWORD]@HOST:PORT/DB[?sslmode=require]: a server the user runs. */
  postgres?: string
  ports?: LabPorts
}

export class LabPreflightError extends Error {
  constructor(readonly problems: string[]) {
    super(`The lab cannot start:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`)
    this.name = 'LabPreflightError'
  }
}

/** A kind cluster or minikube profile name of this lab: the default lab's is plain, another directory's is told apart. */
function clusterName(paths: LabPaths, env: NodeJS.ProcessEnv): string {
  if (paths.dir === defaultLabDir(env)) return 'vault-tray-lab'
  return `vault-tray-lab-${createHash('sha256').update(paths.dir).digest('hex').slice(0, 6)}`
}

export async function resolveProviders(paths: LabPaths, options: ProviderOptions, previous: LabState | undefined, env: NodeJS.ProcessEnv): Promise<Providers> {
  const problems: string[] = []
  const before = previous?.providers
  const mismatch = (part: string, was: string, asked: string) =>
    problems.push(`The lab in ${paths.dir} uses ${was} for ${part}, and this time ${asked} was asked for. Run \`vault-tray lab down\` first to change it, or leave the option out.`)

  // Vault
  let vault: VaultProviderState | undefined
  if (options.vaultAddr) {
    if (before && !(before.vault.kind === 'existing' && before.vault.address === options.vaultAddr)) mismatch('Vault', describeVault(before.vault), options.vaultAddr)
    vault = { kind: 'existing', address: options.vaultAddr }
  } else if (before?.vault.kind === 'existing' && !options.vaultBin) {
    vault = before.vault
  } else {
    if (before?.vault.kind === 'existing') mismatch('Vault', describeVault(before.vault), `a server of ${options.vaultBin}`)
    const previousBinary = before?.vault.kind === 'server' && existsSync(before.vault.binary) ? before.vault.binary : undefined
    const binary = options.vaultBin ?? previousBinary ?? onPath('bao', env) ?? onPath('vault', env) ?? cachedBao(env)
    if (options.vaultBin && !existsSync(options.vaultBin)) {
      problems.push(`Vault: ${options.vaultBin} (--vault-bin) does not exist. Point --vault-bin at a bao or vault binary.`)
    } else if (!binary) {
      problems.push(
        `Vault: neither \`bao\` nor \`vault\` is on PATH, and there is no OpenBao in ${cacheDir(env)}. Install OpenBao (https://openbao.org/docs/install/) or Vault (https://developer.hashicorp.com/vault/install), or run \`npm run lab -- install\` (puts OpenBao in that cache), or pass --vault-bin PATH; or use a Vault you run with --vault-addr URL (and VAULT_TOKEN).`,
      )
    } else {
      try {
        const known = before?.vault.kind === 'server' && before.vault.binary === binary ? before.vault : undefined
        vault = known ?? { kind: 'server', binary, ...(await vaultFlavor(binary)) }
      } catch (error) {
        problems.push(`Vault: ${(error as Error).message}`)
      }
    }
  }

  // Kubernetes
  let cluster: ClusterProviderState | undefined
  const choice: ClusterChoice = options.context ? 'current' : (options.cluster ?? 'auto')
  if (before && (choice === 'auto' || choice === before.cluster.kind || (choice === 'current' && before.cluster.kind === 'context' && (!options.context || options.context === before.cluster.context)))) {
    cluster = refreshCluster(before.cluster, env, problems)
  } else {
    if (before) mismatch('Kubernetes', describeCluster(before.cluster), options.context ? `kube-context ${options.context}` : `--cluster ${choice}`)
    cluster = chooseCluster(choice, options.context, paths, env, problems)
  }

  // PostgreSQL
  let postgres: PostgresProviderState | undefined
  if (options.postgres) {
    try {
      postgres = parsePostgresUrl(options.postgres).provider
      if (before && JSON.stringify(before.postgres) !== JSON.stringify(postgres)) mismatch('PostgreSQL', describePostgres(before.postgres), options.postgres.replace(/:[^:@/]*@/, ':…@'))
    } catch (error) {
      problems.push(`PostgreSQL: ${(error as Error).message}`)
    }
  } else if (before?.postgres.kind === 'existing') {
    postgres = before.postgres
  } else {
    const binDir = (before?.postgres.kind === 'local' && existsSync(before.postgres.binDir) ? before.postgres.binDir : undefined) ?? postgresBinDir(env)
    if (!binDir) {
      problems.push(
        'PostgreSQL: its initdb and postgres were not found (PATH, /usr/lib/postgresql/*/bin, /usr/pgsql-*/bin, Homebrew). Install PostgreSQL (Debian, Ubuntu: sudo apt-get install postgresql; Fedora: sudo dnf install postgresql-server; macOS: brew install postgresql@17), or use a server you run with --postgres postgresql://USER@HOST:PORT/DB (password in PGPASSWORD).',
      )
    } else postgres = { kind: 'local', binDir }
  }

  // ports asked for: free, or held by the lab's own server already
  const asked: [keyof LabPorts, string, 'vault' | 'kube-apiserver' | 'postgres'][] = [
    ['vault', '--vault-port', 'vault'],
    ['kube', '--kube-port', 'kube-apiserver'],
    ['postgres', '--postgres-port', 'postgres'],
  ]
  for (const [key, flag, server] of asked) {
    const port = options.ports?.[key]
    if (port === undefined) continue
    if (recordedPorts(previous?.servers[server]).includes(port)) continue
    if (!(await isPortFree(port))) problems.push(`127.0.0.1:${port}, asked for with ${flag}, is in use by another program. Free it, or choose another port with ${flag} (or leave it out and the lab picks a free one).`)
  }

  if (problems.length > 0 || !vault || !cluster || !postgres) throw new LabPreflightError(problems)
  return { vault, cluster, postgres }
}

function chooseCluster(choice: ClusterChoice, context: string | undefined, paths: LabPaths, env: NodeJS.ProcessEnv, problems: string[]): ClusterProviderState | undefined {
  if (choice === 'current') {
    const loaded = loadKubeConfig(env)
    const name = context ?? loaded?.config.getCurrentContext()
    if (!loaded || !name) {
      problems.push('Kubernetes: --cluster current needs a kubeconfig with a current context (KUBECONFIG or ~/.kube/config). Set one, or let the lab run its own cluster (leave out --cluster).')
      return undefined
    }
    if (!loaded.config.getContextObject(name)) {
      problems.push(`Kubernetes: kube-context "${name}" is not in ${loaded.files.join(', ')}. Name one of: ${loaded.config.getContexts().map((entry) => entry.name).join(', ')}.`)
      return undefined
    }
    return { kind: 'context', context: name, kubeconfig: loaded.files }
  }
  const kind = onPath('kind', env)
  const minikube = onPath('minikube', env)
  if (choice === 'kind' || (choice === 'auto' && kind)) {
    if (kind) return { kind: 'kind', binary: kind, name: clusterName(paths, env) }
    problems.push('Kubernetes: --cluster kind, but `kind` is not on PATH. Install it (https://kind.sigs.k8s.io/docs/user/quick-start/#installation), or choose another --cluster.')
    return undefined
  }
  if (choice === 'minikube' || (choice === 'auto' && minikube)) {
    if (minikube) return { kind: 'minikube', binary: minikube, profile: clusterName(paths, env) }
    problems.push('Kubernetes: --cluster minikube, but `minikube` is not on PATH. Install it (https://minikube.sigs.k8s.io/docs/start/), or choose another --cluster.')
    return undefined
  }
  return localControlPlane(env, problems)
}

function localControlPlane(env: NodeJS.ProcessEnv, problems: string[]): ClusterProviderState | undefined {
  const etcd = findBinary('etcd', env)
  const kubeApiserver = findBinary('kube-apiserver', env)
  if (etcd && kubeApiserver) return { kind: 'local', etcd, kubeApiserver }
  const missing = [etcd ? undefined : 'etcd', kubeApiserver ? undefined : 'kube-apiserver'].filter(Boolean).join(' and ')
  problems.push(
    `Kubernetes: the lab's own control plane needs etcd and kube-apiserver, and ${missing} ${missing.includes(' and ') ? 'are' : 'is'} not on PATH or in ${cacheDir(env)}/bin. Build both with \`npm run lab -- install\` (needs Go), or install kind or minikube, or use your current kube-context with --cluster current.`,
  )
  return undefined
}

/** Binaries may have moved on (a newer build in the cache): find them again, keeping the kind of cluster. */
function refreshCluster(before: ClusterProviderState, env: NodeJS.ProcessEnv, problems: string[]): ClusterProviderState | undefined {
  if (before.kind === 'local') {
    if (existsSync(before.etcd) && existsSync(before.kubeApiserver)) return before
    return localControlPlane(env, problems)
  }
  if (before.kind === 'kind' || before.kind === 'minikube') {
    if (existsSync(before.binary)) return before
    const binary = onPath(before.kind, env)
    if (binary) return { ...before, binary }
    problems.push(`Kubernetes: the lab's cluster is a ${before.kind} one, and \`${before.kind}\` is no longer on PATH. Install it again, or \`vault-tray lab down\` (it needs ${before.kind} too) and start over.`)
    return undefined
  }
  return before
}

export function parsePostgresUrl(text: string): { provider: Extract<PostgresProviderState, { kind: 'existing' }>; password?: string } {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new Error('--postgres must be a URL such as postgresql://postgres@127.0.0.1:5432/postgres.')
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') throw new Error(`--postgres must start with postgresql://, not ${url.protocol}//.`)
  const sslmode = url.searchParams.get('sslmode') ?? 'disable'
  return {
    provider: {
      kind: 'existing',
      host: url.hostname || '127.0.0.1',
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username || 'postgres'),
      database: decodeURIComponent(url.pathname.replace(/^\//, '') || 'postgres'),
      ssl: sslmode !== 'disable',
    },
    password: url.password ? decodeURIComponent(url.password) : undefined,
  }
}

export function describeVault(vault: VaultProviderState): string {
  return vault.kind === 'existing' ? `your Vault at ${vault.address}` : `${vault.flavor === 'openbao' ? 'an OpenBao' : 'a Vault'} ${vault.version} server of its own (${vault.binary})`
}

export function describeCluster(cluster: ClusterProviderState): string {
  switch (cluster.kind) {
    case 'local':
      return `a control plane of its own (${cluster.etcd}, ${cluster.kubeApiserver})`
    case 'kind':
      return `kind cluster ${cluster.name}`
    case 'minikube':
      return `minikube profile ${cluster.profile}`
    case 'context':
      return `your kube-context ${cluster.context}`
  }
}

export function describePostgres(postgres: PostgresProviderState): string {
  return postgres.kind === 'local' ? `a PostgreSQL of its own (${postgres.binDir})` : `your PostgreSQL at ${postgres.user}@${postgres.host}:${postgres.port}/${postgres.database}`
}
