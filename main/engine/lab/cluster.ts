// "Kubernetes cluster up": a control plane of the lab's own (etcd + kube-apiserver in the lab directory, as the
// test lab runs them), a kind or minikube cluster the lab creates, or a kube-context the user already has.
// A bare control plane has no controllers: the lab creates the ServiceAccounts itself and uses TokenRequest for
// the token reviewer, and the example Deployment never gets a pod (it is only a rollout-restart target).
import { execFile } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { Agent, request } from 'node:https'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { KubeConfig } from '@kubernetes/client-node'
import { KubeApi } from '../kube/api.ts'
import { configForContext, loadKubeConfig } from '../kube/contexts.ts'
import type { LabContext } from './context.ts'
import { onPath } from './binaries.ts'
import type { StepHandle } from './runner.ts'
import { ensureServer } from './servers.ts'

const run = promisify(execFile)

/** The context name in the lab's own kubeconfig. */
export const LAB_CONTEXT = 'vault-tray-lab'
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local'

export async function localControlPlane(step: StepHandle, context: LabContext, etcd: string, kubeApiserver: string): Promise<void> {
  const { paths } = context
  const etcdDir = paths.server('etcd')
  const kubeDir = paths.server('kube')
  mkdirSync(etcdDir, { recursive: true, mode: 0o700 })
  mkdirSync(join(kubeDir, 'certs'), { recursive: true, mode: 0o700 })

  const etcdSocket = join(etcdDir, ETCD_SOCKETS.client)
  const etcdPorts = await ensureServer(
    step,
    context,
    {
      name: 'etcd',
      roles: [],
      socket: etcdSocket,
      portFlag: '(no flag: etcd listens on a Unix socket in the lab directory)',
      launch: () => ({ command: etcd, args: etcdArgs(join(etcdDir, 'data')), cwd: etcdDir, isReady: () => etcdHealthy(etcdSocket) }),
    },
    context.timeouts.serverMs,
  )
  if (!etcdPorts) return step.changed('start kube-apiserver')

  if (!existsSync(join(kubeDir, 'tokens.csv'))) {
    if (step.dryRun) return step.changed('create the apiserver keys')
    writeApiserverKeys(kubeDir, `${LAB_CONTEXT}-admin`)
    step.changed('created the ServiceAccount signing key and an admin token')
  }
  const adminToken = readFileSync(join(kubeDir, 'tokens.csv'), 'utf8').split(',')[0]!
  // readiness is asked before the serving certificate exists; every client checks it afterwards
  const probe = new Agent({ rejectUnauthorized: false })
  context.onClose(() => probe.destroy())
  const apiPorts = await ensureServer(
    step,
    context,
    {
      name: 'kube-apiserver',
      roles: ['main'],
      explicitPort: context.ports.kube,
      portFlag: '--kube-port',
      launch: (ports) => ({
        command: kubeApiserver,
        args: kubeApiserverArgs(etcdUrl(etcdSocket), ports.main!, kubeDir),
        cwd: kubeDir,
        isReady: async () => (await httpsStatus(`https://127.0.0.1:${ports.main}/readyz`, adminToken, probe)) === 200,
      }),
    },
    context.timeouts.serverMs,
  )
  if (!apiPorts) return
  const server = `https://127.0.0.1:${apiPorts.main}`
  const caCert = readFileSync(join(kubeDir, 'certs', 'apiserver.crt'), 'utf8')
  const kubeconfig = adminKubeconfig(server, caCert, adminToken, LAB_CONTEXT)
  if (!existsSync(paths.kubeconfig) || readFileSync(paths.kubeconfig, 'utf8') !== kubeconfig) {
    if (step.dryRun) return step.changed(`write ${paths.kubeconfig}`)
    writeFileSync(paths.kubeconfig, kubeconfig, { mode: 0o600 })
    step.changed(`wrote ${paths.kubeconfig} (context ${LAB_CONTEXT})`)
  }
  useKubeconfig(context, [paths.kubeconfig], LAB_CONTEXT, true)
}

/**
 * etcd has no authentication of its own, so no port exposes it: it listens on Unix sockets in its directory
 * (0700), which only this user can connect to. etcd wants `unix://<host>:<port>` and makes the socket file
 * `<host>:<port>` in its working directory.
 */
export const ETCD_SOCKETS = { client: 'client.sock:0', peer: 'peer.sock:0' }

export function etcdArgs(dataDir: string, extra: string[] = []): string[] {
  const client = `unix://${ETCD_SOCKETS.client}`
  const peer = `unix://${ETCD_SOCKETS.peer}`
  return [`--data-dir=${dataDir}`, `--listen-client-urls=${client}`, `--advertise-client-urls=${client}`, `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`, `--initial-cluster=default=${peer}`, '--log-level=warn', ...extra]
}

/** How the apiserver reaches etcd's client socket. */
export const etcdUrl = (socket: string): string => `unix://${socket}`

/** etcd's /health through its client socket. */
export function etcdHealthy(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = httpRequest({ socketPath: socket, path: '/health', timeout: 2_000 }, (response) => {
      let body = ''
      response.on('data', (chunk: Buffer) => (body += chunk.toString()))
      response.on('end', () => resolve(/"health":\s*"true"/.test(body)))
    })
    probe.on('error', () => resolve(false)).on('timeout', () => probe.destroy())
    probe.end()
  })
}

/** The ServiceAccount signing key pair and a static admin token (tokens.csv), as a standalone apiserver needs them. */
export function writeApiserverKeys(kubeDir: string, adminName: string): void {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } })
  writeFileSync(join(kubeDir, 'sa.pub'), publicKey)
  writeFileSync(join(kubeDir, 'sa.key'), privateKey, { mode: 0o600 })
  writeFileSync(join(kubeDir, 'tokens.csv'), `${randomBytes(24).toString('base64url')},${adminName},${adminName},"system:masters"\n`, { mode: 0o600 })
}

/**
 * A standalone kube-apiserver on 127.0.0.1 (the test lab runs the same): RBAC on, ServiceAccount tokens signed by
 * the key in kubeDir (so TokenRequest and TokenReview work), an admin reached with the static token of tokens.csv.
 */
export function kubeApiserverArgs(etcdUrl: string, port: number, kubeDir: string): string[] {
  return [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(kubeDir, 'certs')}`,
    '--authorization-mode=RBAC',
    `--token-auth-file=${join(kubeDir, 'tokens.csv')}`,
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${join(kubeDir, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(kubeDir, 'sa.key')}`,
    '--service-cluster-ip-range=10.96.0.0/24',
    '--enable-priority-and-fairness=false',
    '--profiling=false',
  ]
}

/** A kubeconfig with one context, `name`, for the static admin token. */
export function adminKubeconfig(server: string, caCert: string, token: string, name: string): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority-data': Buffer.from(caCert).toString('base64') } }],
    users: [{ name: `${name}-admin`, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
    'current-context': name,
  }
  return `${JSON.stringify(config, null, 2)}\n`
}

function httpsStatus(url: string, token: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent, headers: { authorization: `Bearer ${token}` }, timeout: 5_000 }, (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
      .on('timeout', function (this: { destroy(error: Error): void }) {
        this.destroy(new Error('timeout'))
      })
      .on('error', reject)
      .end()
  })
}

/** Points the lab at one context of these kubeconfig files: its client, and what Vault needs to review tokens. */
function useKubeconfig(context: LabContext, files: string[], name: string, owned: boolean): KubeConfig {
  const loaded = loadKubeConfig({ ...context.env, KUBECONFIG: files.join(':') })
  if (!loaded) throw new Error(`No kubeconfig at ${files.join(', ')}.`)
  const config = configForContext(loaded, name)
  const cluster = config.getCurrentCluster()!
  const caCert = cluster.caData ? Buffer.from(cluster.caData, 'base64').toString('utf8') : cluster.caFile ? readFileSync(cluster.caFile, 'utf8') : undefined
  const api = new KubeApi(config)
  context.onClose(() => api.close())
  context.kube = { config, api, host: cluster.server, caCert, owned }
  return config
}

/** A kube-context the user already has (--cluster current, --context NAME): checked, never changed beyond what the lab creates. */
export async function existingContext(step: StepHandle, context: LabContext, files: string[], name: string): Promise<void> {
  useKubeconfig(context, files, name, false)
  await context.kube!.api.get('/version')
  step.log(`using kube-context "${name}" (${context.kube!.host}); the lab changes in it only what it creates`)
}

async function logged(step: StepHandle, command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<string> {
  step.log(`$ ${[command, ...args].join(' ')}`)
  try {
    const { stdout, stderr } = await run(command, args, { env: options.env, timeout: options.timeoutMs, maxBuffer: 16 << 20 })
    if (stderr.trim()) step.log(stderr.trim())
    return stdout
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string }
    step.log(`${stdout ?? ''}${stderr ?? ''}`.trim())
    throw new Error(`\`${[command, ...args].join(' ')}\` failed: ${(stderr || (error as Error).message).trim().split('\n').slice(-3).join(' ')}`, { cause: error })
  }
}

/** A kind cluster of the lab's own, its kubeconfig in the lab directory (never merged into ~/.kube/config). */
export async function kindCluster(step: StepHandle, context: LabContext, binary: string, name: string): Promise<void> {
  const { paths } = context
  mkdirSync(paths.server('kube'), { recursive: true, mode: 0o700 })
  const clusters = (await logged(step, binary, ['get', 'clusters'], { timeoutMs: 30_000 })).split('\n').map((line) => line.trim())
  if (!clusters.includes(name)) {
    if (step.dryRun) return step.changed(`create kind cluster ${name}`)
    step.checkpoint()
    await logged(step, binary, ['create', 'cluster', '--name', name, '--kubeconfig', paths.kubeconfig, '--wait', '180s'], { timeoutMs: 600_000 })
    step.changed(`created kind cluster ${name}`)
  } else if (!step.dryRun) {
    await logged(step, binary, ['export', 'kubeconfig', '--name', name, '--kubeconfig', paths.kubeconfig], { timeoutMs: 30_000 })
  }
  useKubeconfig(context, [paths.kubeconfig], `kind-${name}`, true)
  if (await reachable(context)) return
  // after a reboot or a Docker restart kind's node container stays stopped
  const docker = onPath('docker', context.env)
  if (step.dryRun || !docker) throw new Error(`kind cluster ${name} does not answer. Start its node (\`docker start ${name}-control-plane\`), or \`vault-tray lab down\` and \`lab up\` to make it again.`)
  await logged(step, docker, ['start', `${name}-control-plane`], { timeoutMs: 60_000 })
  step.changed(`started kind's node container ${name}-control-plane`)
  await waitReachable(context, 120_000)
}

/** A minikube profile of the lab's own, writing its context into the lab's kubeconfig. */
export async function minikubeCluster(step: StepHandle, context: LabContext, binary: string, profile: string): Promise<void> {
  const { paths } = context
  mkdirSync(paths.server('kube'), { recursive: true, mode: 0o700 })
  const env = { ...process.env, KUBECONFIG: paths.kubeconfig }
  let running = false
  try {
    const status = JSON.parse(await logged(step, binary, ['status', '-p', profile, '-o', 'json'], { env, timeoutMs: 60_000 })) as { Host?: string; APIServer?: string }
    running = status.Host === 'Running' && status.APIServer === 'Running'
  } catch {
    // minikube status exits non-zero for a stopped or missing profile
  }
  if (!running) {
    if (step.dryRun) return step.changed(`start minikube profile ${profile}`)
    step.checkpoint()
    await logged(step, binary, ['start', '-p', profile], { env, timeoutMs: 900_000 })
    step.changed(`started minikube profile ${profile}`)
  } else if (!step.dryRun) {
    await logged(step, binary, ['update-context', '-p', profile], { env, timeoutMs: 60_000 })
  }
  useKubeconfig(context, [paths.kubeconfig], profile, true)
  await waitReachable(context, 120_000)
}

async function reachable(context: LabContext): Promise<boolean> {
  return context.kube!.api.get('/version').then(
    () => true,
    () => false,
  )
}

async function waitReachable(context: LabContext, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await reachable(context))) {
    if (Date.now() > deadline) throw new Error(`The cluster at ${context.kube!.host} did not answer within ${timeoutMs / 1000} s.`)
    await sleep(500)
  }
}

/** Removes a kind or minikube cluster the lab made (`lab down`). */
export async function deleteCluster(provider: { kind: 'kind'; binary: string; name: string } | { kind: 'minikube'; binary: string; profile: string }, kubeconfig: string): Promise<string> {
  if (provider.kind === 'kind') {
    await run(provider.binary, ['delete', 'cluster', '--name', provider.name, '--kubeconfig', kubeconfig], { timeout: 300_000 })
    return `deleted kind cluster ${provider.name}`
  }
  await run(provider.binary, ['delete', '-p', provider.profile], { timeout: 300_000, env: { ...process.env, KUBECONFIG: kubeconfig } })
  return `deleted minikube profile ${provider.profile}`
}
