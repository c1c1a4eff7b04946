// `npm start`: the Electron app where the Electron binary exists, the daemon with the window in your browser
// otherwise. Arguments after `--` are the daemon's own (npm start -- --once), so they always go to the daemon.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { labEndpoints } from './engine/lab/lab.ts'
import { loadKubeConfig } from './engine/kube/contexts.ts'

export interface StartChoice {
  command: 'electron' | 'daemon'
  args: string[]
  why: string
}

/** What `npm start` runs, from what this machine has. */
export function chooseStart(args: readonly string[], electronBinary: string | undefined, hasKubeContext: boolean): StartChoice {
  if (args.length) return { command: 'daemon', args: ['daemon', ...args], why: 'arguments given: running the daemon with them' }
  if (electronBinary) return { command: 'electron', args: [], why: `opening the app (Electron at ${electronBinary})` }
  const sync = hasKubeContext ? ['--sync'] : []
  return {
    command: 'daemon',
    args: ['daemon', '--ui', ...sync],
    why: `no Electron binary on this machine (npm could not download it): serving the window to your browser${hasKubeContext ? '' : ', without sync until there is a kube-context'}`,
  }
}

/** The Electron binary the `electron` package downloaded, if it did. */
export function electronBinary(): string | undefined {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown
    return typeof path === 'string' && existsSync(path) ? path : undefined
  } catch {
    return undefined // the optional dependency was skipped, or its download failed
  }
}

async function main(): Promise<number> {
  const hasKube = Boolean(loadKubeConfig() ?? (!process.env.VAULT_ADDR && labEndpoints()?.kubeconfig))
  const choice = chooseStart(process.argv.slice(2), electronBinary(), hasKube)
  console.log(`vault-tray: ${choice.why}`)
  const [command, args] = choice.command === 'electron' ? ['npx', ['electron-vite', 'dev']] : [process.execPath, ['--import', 'tsx', 'main/cli.ts', ...choice.args]]
  // the daemon stops when this process is gone, however it went (VAULT_TRAY_PARENT_PID, main/cli.ts)
  const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, VAULT_TRAY_PARENT_PID: String(process.pid) } })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal))
  // npm passes SIGTERM to the shell that runs this script, and the shell dies without passing it on: a parent
  // that changed is that shell gone, so the daemon is stopped as if the signal had arrived here
  const parent = process.ppid
  const watch = setInterval(() => process.ppid !== parent && child.kill('SIGTERM'), 500)
  child.on('exit', () => clearInterval(watch))
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))))
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main()
