// An app started from a desktop menu or the Dock inherits the session's minimal PATH, not the one the user's shell
// builds in ~/.zprofile or ~/.bashrc, so kubeconfig exec plugins (aws, gke-gcloud-auth-plugin, kubelogin) are
// "not found" although kubectl finds them in a terminal. The user's login shell is asked for its PATH once, and exec
// plugins are run with it.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { userInfo } from 'node:os'
import { delimiter } from 'node:path'
import { KubeConfig, type User } from '@kubernetes/client-node'

export interface ShellPath {
  /** The PATH to run exec plugins with. */
  path: string
  source: 'login-shell' | 'inherited'
  /** Why the inherited PATH is used, for the log and the settings page; absent when the login shell answered. */
  reason?: string
}

export interface ShellPathOptions {
  /** rc files that wait for input or do network work must not hold up start-up. */
  timeoutMs?: number
  platform?: NodeJS.Platform
}

const DEFAULT_TIMEOUT_MS = 5_000

/** Never throws: when the shell cannot tell, the inherited PATH is used and the reason says why. */
export async function userShellPath(env: NodeJS.ProcessEnv = process.env, options: ShellPathOptions = {}): Promise<ShellPath> {
  const inherited = env.PATH ?? ''
  const fallback = (reason: string): ShellPath => ({ path: inherited, source: 'inherited', reason: `${reason}; exec plugins are looked up in the PATH the app started with.` })
  // a Windows app gets the user's full PATH from the registry, however it is started
  if ((options.platform ?? process.platform) === 'win32') return { path: inherited, source: 'inherited' }
  const shell = env.SHELL || loginShellOfUser()
  if (!shell) return fallback('Neither $SHELL nor the user database names a login shell')
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  // rc files may print banners, so the answer sits between two markers no rc file prints
  const marker = `_VAULT_TRAY_${randomBytes(8).toString('hex')}_`
  const answer = await runShell(shell, ['-ilc', `printf '%s%s%s' '${marker}' "$PATH" '${marker}'`], env, marker, timeoutMs)
  if ('problem' in answer) return fallback(`Your login shell ${shell} ${answer.problem}`)
  if (!answer.path) return fallback(`Your login shell ${shell} printed an empty PATH`)
  return { path: joinPaths(answer.path, inherited), source: 'login-shell' }
}

/** The shell's entries first; entries only the app had (the ones Electron adds, say) are kept after them. */
function joinPaths(first: string, second: string): string {
  const entries = [...first.split(delimiter), ...second.split(delimiter)].filter(Boolean)
  return [...new Set(entries)].join(delimiter)
}

function loginShellOfUser(): string | undefined {
  try {
    return userInfo().shell ?? undefined
  } catch {
    return undefined
  }
}

type ShellAnswer = { path: string } | { problem: string }

function runShell(shell: string, args: string[], env: NodeJS.ProcessEnv, marker: string, timeoutMs: number): Promise<ShellAnswer> {
  return new Promise((resolve) => {
    // its own session: an interactive shell must not take the terminal of a `vault-tray` started from one,
    // and a timed-out rc file is ended with everything it started
    const child = spawn(shell, args, { env, stdio: ['ignore', 'pipe', 'ignore'], detached: true })
    let stdout = ''
    const done = (answer: ShellAnswer) => {
      clearTimeout(timer)
      resolve(answer)
    }
    const timer = setTimeout(() => {
      killGroup(child.pid)
      done({ problem: `did not print its PATH within ${timeoutMs / 1000} s (something in its rc files waits or is slow)` })
    }, timeoutMs)
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk
      // answered: no need to wait for a daemon an rc file started, which may hold stdout open
      const start = stdout.indexOf(marker)
      const end = start < 0 ? -1 : stdout.indexOf(marker, start + marker.length)
      if (end > start) done({ path: stdout.slice(start + marker.length, end) })
    })
    child.on('error', (error) => done({ problem: `could not be started: ${error.message}` }))
    child.on('close', (code, signal) => done({ problem: `ended (${signal ?? `exit code ${code}`}) without printing its PATH` }))
  })
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/**
 * A copy of the config whose exec plugins run with this PATH. client-node spawns a plugin with process.env plus
 * the exec config's `env` list, and Node looks the command up in that env's PATH, so PATH is added to each exec
 * user's `env`. Nothing global changes, and a PATH the kubeconfig sets itself is kept, as kubectl would.
 */
export function withUserPath(config: KubeConfig, path: string): KubeConfig {
  const users = config.getUsers().map((user): User => {
    const exec = user.exec as { env?: { name: string; value: string }[] | null } | undefined | null
    if (!exec || exec.env?.some((entry) => entry.name === 'PATH')) return user
    return { ...user, exec: { ...exec, env: [...(exec.env ?? []), { name: 'PATH', value: path }] } }
  })
  const copy = new KubeConfig()
  copy.loadFromOptions({ clusters: config.getClusters(), users, contexts: config.getContexts(), currentContext: config.getCurrentContext() })
  return copy
}
