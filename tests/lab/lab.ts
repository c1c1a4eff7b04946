// The test lab: real OpenBao, etcd + kube-apiserver, PostgreSQL, a Secret Service keychain and Chromium,
// started side by side in one temporary directory and torn down with it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureLabTools, type InstallStep } from './install.ts'
import { ServerStartError, type RunningServer } from './process.ts'
import { startKeychain, type KeychainInfo } from './servers/keychain.ts'
import { startEtcd, startKubeApiserver, type KubeInfo } from './servers/kube.ts'
import { startOpenBao, type OpenBaoInfo } from './servers/openbao.ts'
import { startPostgres, type PostgresInfo } from './servers/postgres.ts'

export interface LabInfo {
  runDir: string
  openbao: OpenBaoInfo
  kube: KubeInfo
  postgres: PostgresInfo
  keychain: KeychainInfo
  chromium: { executablePath: string; args: string[] }
}

export interface Lab {
  info: LabInfo
  installSteps: InstallStep[]
  /** Each server's name, pid and milliseconds until ready. */
  servers: RunningServer[]
  stop(): Promise<void>
}

export type LabServer = 'openbao' | 'etcd' | 'kube-apiserver' | 'postgres' | 'keychain'

export interface LabOptions {
  /** Time limit for each server to become ready. */
  timeoutsMs?: Partial<Record<LabServer, number>>
}

const DEFAULT_TIMEOUTS_MS: Record<LabServer, number> = {
  openbao: 30_000,
  etcd: 30_000,
  'kube-apiserver': 90_000,
  postgres: 30_000,
  keychain: 15_000,
}

/** Flags for Debian's Chromium, run headless as root on a machine without network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export class LabStartError extends Error {
  constructor(
    readonly runDir: string,
    readonly failures: Error[],
  ) {
    super(`The test lab could not start:\n\n${failures.map((failure) => failure.message).join('\n\n')}`)
    this.name = 'LabStartError'
  }
}

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const installed = await ensureLabTools()
  const timeouts = { ...DEFAULT_TIMEOUTS_MS, ...options.timeoutsMs }
  const runDir = mkdtempSync(join(tmpdir(), 'vault-tray-lab-'))
  const abort = new AbortController()
  const servers: RunningServer[] = []
  const failFast = <T extends { server: RunningServer }>(started: Promise<T>): Promise<T> =>
    started.then(
      (part) => {
        servers.push(part.server)
        return part
      },
      (error: unknown) => {
        abort.abort()
        throw error
      },
    )
  const { signal } = abort
  const t = installed.tools

  const results = await Promise.allSettled([
    failFast(startOpenBao(t.bao, runDir, timeouts.openbao, signal)),
    failFast(startEtcd(t.etcd, runDir, timeouts.etcd, signal)).then((etcd) =>
      failFast(startKubeApiserver(t.kubeApiserver, etcd.clientUrl, runDir, timeouts['kube-apiserver'], signal)),
    ),
    failFast(startPostgres(t.postgresBin, runDir, timeouts.postgres, signal)),
    failFast(startKeychain(runDir, timeouts.keychain, signal)),
  ])
  const stop = async () => {
    // the apiserver before etcd, then the rest; servers are pushed in the order they became ready
    await Promise.all([...servers].reverse().map((server) => server.stop()))
    rmSync(runDir, { recursive: true, force: true })
  }
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []))
  if (failures.length > 0) {
    await stop()
    // the cause first, then the parts that were stopped because of it
    failures.sort((a, b) => Number(isAborted(a)) - Number(isAborted(b)))
    throw new LabStartError(runDir, failures)
  }
  const [openbao, kube, postgres, keychain] = results.map((result) => (result as PromiseFulfilledResult<{ info: unknown }>).value.info) as [
    OpenBaoInfo,
    KubeInfo,
    PostgresInfo,
    KeychainInfo,
  ]
  return {
    info: { runDir, openbao, kube, postgres, keychain, chromium: { executablePath: t.chromium, args: CHROMIUM_ARGS } },
    installSteps: installed.steps,
    servers,
    stop,
  }
}

export function describeTimings(lab: Lab): string {
  const installs = lab.installSteps.map((step) => `${step.tool} ${step.cached ? 'cached' : 'installed'} in ${seconds(step.ms)}`)
  const ready = lab.servers.map((server) => `${server.name} ${seconds(server.readyMs)}`)
  return `test lab: ${installs.join(', ')}\ntest lab ready: ${ready.join(', ')}`
}

const isAborted = (error: Error) => error instanceof ServerStartError && error.aborted

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`
