// The window's e2e tests share this: `vault-tray daemon --ui` as a subprocess (the real CLI, on the lab's
// servers), the URL it prints, and Debian's Chromium to open it in.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { lab } from '../integration/helpers.ts'
import { eventually } from '../integration/sync-helpers.ts'

export interface DaemonUnderTest {
  /** Its HOME; XDG_CONFIG_HOME and XDG_DATA_HOME are config/ and data/ in it (the settings file: config/vault-tray/settings.json). */
  home: string
  /** The URL the daemon printed, token included. */
  url: string
  child: ChildProcess
  /** Everything it printed so far, stdout and stderr. */
  output(): string
  stop(): Promise<void>
}

/**
 * Starts `daemon --ui` with these extra arguments, against the lab's OpenBao and apiserver unless `env` says
 * otherwise; resolves once it printed the window's address.
 */
export async function startDaemon(args: string[], env: Record<string, string | undefined> = {}): Promise<DaemonUnderTest> {
  let printed = ''
  // each daemon has settings and data of its own, so e2e files running side by side do not share them
  const home = mkdtempSync(join(lab.runDir, 'daemon-'))
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli.ts', 'daemon', '--ui', ...args], {
    env: { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'data'), VAULT_ADDR: lab.openbao.address, KUBECONFIG: lab.kube.kubeconfig, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (printed += chunk.toString()))
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the daemon exited (${code}) before printing its address:\n${printed}`)
  })
  const url = await Promise.race([
    eventually(async () => /ui {5}open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(printed)?.[1], 'the daemon to print the UI address', 60_000),
    exited,
  ])
  exited.catch(() => {})
  return {
    home,
    url,
    child,
    output: () => printed,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      await once(child, 'exit')
    },
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: lab.chromium.executablePath, args: lab.chromium.args })
}
