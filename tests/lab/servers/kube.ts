import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { join } from 'node:path'
import { adminKubeconfig, ETCD_SOCKETS, etcdArgs, etcdHealthy, etcdUrl, kubeApiserverArgs, SERVICE_ACCOUNT_ISSUER, writeApiserverKeys } from '../../../main/engine/lab/cluster.ts'
import { freePort, startServer, type RunningServer } from '../process.ts'

export interface KubeInfo {
  server: string
  /** Path of an admin kubeconfig (context `lab`). */
  kubeconfig: string
  /** PEM of the CA that signed the apiserver's serving certificate. */
  caCert: string
  adminToken: string
  serviceAccountIssuer: string
  /** PEM of the key that verifies ServiceAccount tokens (for Vault's jwt auth). */
  serviceAccountPublicKey: string
}

/** etcd on a Unix socket in the run dir, as the one-click lab runs it; fsync off because the data dies with the run. */
export async function startEtcd(etcd: string, runDir: string, timeoutMs: number, signal: AbortSignal) {
  const dir = join(runDir, 'etcd')
  mkdirSync(dir, { mode: 0o700 })
  const socket = join(dir, ETCD_SOCKETS.client)
  const clientUrl = etcdUrl(socket)
  const server = await startServer(
    {
      name: 'etcd',
      command: etcd,
      args: etcdArgs(join(dir, 'data'), ['--unsafe-no-fsync']),
      cwd: dir,
      logFile: join(dir, 'server.log'),
      timeoutMs,
      isReady: () => etcdHealthy(socket),
    },
    signal,
  )
  return { server, clientUrl }
}

/**
 * A standalone kube-apiserver: RBAC on, ServiceAccount tokens signed by a key of the run (so TokenRequest
 * and TokenReview work), an admin reached with a static bearer token. It has no controllers: tests create
 * the namespaces and ServiceAccounts they need.
 */
/** `port` and keys already in the run dir are reused, so a test can restart the apiserver under its clients. */
export async function startKubeApiserver(apiserver: string, etcdUrl: string, runDir: string, timeoutMs: number, signal: AbortSignal, options: { port?: number } = {}) {
  const dir = join(runDir, 'kube')
  const certDir = join(dir, 'certs')
  mkdirSync(certDir, { recursive: true })
  if (!existsSync(join(dir, 'tokens.csv'))) writeApiserverKeys(dir, 'lab-admin')
  const publicKey = readFileSync(join(dir, 'sa.pub'), 'utf8')
  const adminToken = readFileSync(join(dir, 'tokens.csv'), 'utf8').split(',')[0]!
  const port = options.port ?? (await freePort())
  const server = `https://127.0.0.1:${port}`
  // Readiness is asked before the serving certificate can be known; it is checked afterwards, by every client.
  const probe = new Agent({ rejectUnauthorized: false })

  const running: RunningServer = await startServer(
    {
      name: 'kube-apiserver',
      command: apiserver,
      args: kubeApiserverArgs(etcdUrl, port, dir),
      logFile: join(dir, 'server.log'),
      timeoutMs,
      isReady: async () => (await get(`${server}/readyz`, adminToken, probe)) === 200,
    },
    signal,
  )
  probe.destroy()

  const caCert = readFileSync(join(certDir, 'apiserver.crt'), 'utf8')
  const kubeconfig = join(dir, 'kubeconfig')
  writeFileSync(kubeconfig, adminKubeconfig(server, caCert, adminToken, 'lab'), { mode: 0o600 })
  const info: KubeInfo = { server, kubeconfig, caCert, adminToken, serviceAccountIssuer: SERVICE_ACCOUNT_ISSUER, serviceAccountPublicKey: publicKey }
  return { server: running, info }
}

function get(url: string, token: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent, headers: { authorization: `Bearer ${token}` } }, (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
      .on('error', reject)
      .end()
  })
}
