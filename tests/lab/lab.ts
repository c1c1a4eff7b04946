// The test lab: real OpenBao and HashiCorp Vault, etcd + kube-apiserver, PostgreSQL, a Secret Service keychain and Chromium,
// started side by side in one temporary directory and torn down with it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureLabTools, type InstallStep } from './install.ts'
import { ServerStartError, type RunningServer } from './process.ts'
import { startKeychain, type KeychainInfo } from './servers/keychain.ts'
import { startEtcd, startKubeApiserver, type KubeInfo } from './servers/kube.ts'
import { startOpenBao, startVault, type OpenBaoInfo } from './servers/openbao.ts'
import { startPostgres, type PostgresInfo } from './servers/postgres.ts'

export interface LabInfo {
  runDir: string
  openbao: OpenBaoInfo
  /** HashiCorp Vault CE 1.14 beside OpenBao, with event notifications (`-experiment events.alpha1`). */
  vault: OpenBaoInfo
  kube: KubeInfo
  postgres: PostgresInfo
  keychain: KeychainInfo
  chromium: { executablePath: string; args: string[] }
  /** The installed binaries, for tests that start servers of their own. */
  binaries: { bao: string; vault: string; etcd: string; kubeApiserver: string }
}

export interface Lab {
  info: LabInfo
  installSteps: InstallStep[]
  /** Milliseconds from the start of each part (keys, initdb, process) until it answered. */
  readyMs: Partial<Record<LabServer, number>>
  stop(): Promise<void>
}

export type LabServer = 'openbao' | 'vault' | 'etcd' | 'kube-apiserver' | 'postgres' | 'keychain'

export interface LabOptions {
  /** Time limit for each server to become ready. */
  timeoutsMs?: Partial<Record<LabServer, number>>
}

const DEFAULT_TIMEOUTS_MS: Record<LabServer, number> = {
  openbao: 30_000,
  vault: 30_000,
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
  const { signal } = abort
  const servers: RunningServer[] = []
  const readyMs: Partial<Record<LabServer, number>> = {}
  // Times a part from its first step (keys, initdb) until it answers; the first failure stops the others.
  const part = async <T extends { server: RunningServer }>(name: LabServer, start: () => Promise<T>): Promise<T> => {
    const started = performance.now()
    try {
      const running = await start()
      servers.push(running.server)
      readyMs[name] = Math.round(performance.now() - started)
      return running
    } catch (error) {
      abort.abort()
      throw error
    }
  }
  const t = installed.tools

  const [openbao, vault, kube, postgres, keychain] = await Promise.allSettled([
    part('openbao', () => startOpenBao(t.bao, runDir, timeouts.openbao, signal)),
    part('vault', () => startVault(t.vault, runDir, timeouts.vault, signal)),
    part('etcd', () => startEtcd(t.etcd, runDir, timeouts.etcd, signal)).then((etcd) =>
      part('kube-apiserver', () => startKubeApiserver(t.kubeApiserver, etcd.clientUrl, runDir, timeouts['kube-apiserver'], signal)),
    ),
    part('postgres', () => startPostgres(t.postgresBin, runDir, timeouts.postgres, signal)),
    part('keychain', () => startKeychain(runDir, timeouts.keychain, signal)),
  ])
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()))
    rmSync(runDir, { recursive: true, force: true })
  }
  if (openbao.status === 'rejected' || vault.status === 'rejected' || kube.status === 'rejected' || postgres.status === 'rejected' || keychain.status === 'rejected') {
    await stop()
    const failures = [openbao, vault, kube, postgres, keychain].flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []))
    // the cause first, then the parts that were stopped because of it
    failures.sort((a, b) => Number(isAborted(a)) - Number(isAborted(b)))
    throw new LabStartError(runDir, failures)
  }
  return {
    info: {
      runDir,
      openbao: openbao.value.info,
      vault: vault.value.info,
      kube: kube.value.info,
      postgres: postgres.value.info,
      keychain: keychain.value.info,
      chromium: { executablePath: t.chromium, args: CHROMIUM_ARGS },
      binaries: { bao: t.bao, vault: t.vault, etcd: t.etcd, kubeApiserver: t.kubeApiserver },
    },
    installSteps: installed.steps,
    readyMs,
    stop,
  }
}

export function describeTimings(lab: Lab): string {
  const installs = lab.installSteps.map((step) => `${step.tool} ${step.cached ? 'cached' : 'installed'} in ${seconds(step.ms)}`)
  const ready = Object.entries(lab.readyMs).map(([name, ms]) => `${name} ${seconds(ms)}`)
  return `test lab: ${installs.join(', ')}\ntest lab ready: ${ready.join(', ')}`
}

const isAborted = (error: Error) => error instanceof ServerStartError && error.aborted

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`
