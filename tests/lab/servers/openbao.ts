import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, startServer, type RunningServer } from '../process.ts'

export interface OpenBaoInfo {
  address: string
  rootToken: string
  /** The dev server's single unseal key, for tests that seal and unseal it. */
  unsealKey: string
}

/** `bao server -dev`: in memory, unsealed, on a free loopback port with a random root token. */
export function startOpenBao(bao: string, runDir: string, timeoutMs: number, signal: AbortSignal) {
  return startDevServer('openbao', bao, [], runDir, timeoutMs, signal)
}

/** `vault server -dev` (HashiCorp Vault CE 1.14), the same way, with event notifications turned on. */
export function startVault(vault: string, runDir: string, timeoutMs: number, signal: AbortSignal, again?: DevServerAgain) {
  return startDevServer('vault', vault, ['-experiment', 'events.alpha1'], runDir, timeoutMs, signal, again)
}

/** A dev server started again where an earlier one listened, with its root token (its data is gone: -dev keeps it in memory). */
type DevServerAgain = Pick<OpenBaoInfo, 'address' | 'rootToken'>

async function startDevServer(name: 'openbao' | 'vault', binary: string, extraArgs: string[], runDir: string, timeoutMs: number, signal: AbortSignal, again?: DevServerAgain) {
  const dir = join(runDir, name)
  mkdirSync(dir, { recursive: true })
  const port = again ? Number(new URL(again.address).port) : await freePort()
  const address = `http://127.0.0.1:${port}`
  const rootToken = again?.rootToken ?? `lab-${randomBytes(18).toString('base64url')}`
  const logFile = join(dir, 'server.log')
  const server: RunningServer = await startServer(
    {
      name,
      command: binary,
      args: ['server', '-dev', `-dev-listen-address=127.0.0.1:${port}`, `-dev-root-token-id=${rootToken}`, '-dev-no-store-token', ...extraArgs],
      // HOME in the run dir: nothing of the user's (~/.vault-token, ~/.vault) is read or written
      env: { ...process.env, HOME: dir, VAULT_ADDR: address, BAO_ADDR: address },
      cwd: dir,
      logFile,
      timeoutMs,
      // ready once it answers and has printed its unseal key, which comes a moment after
      isReady: async () => (await fetch(`${address}/v1/sys/health`)).status === 200 && unsealKeyIn(logFile) !== undefined,
    },
    signal,
  )
  return { server, info: { address, rootToken, unsealKey: unsealKeyIn(logFile)! } satisfies OpenBaoInfo }
}

/** The dev server prints its unseal key once, at start-up. */
function unsealKeyIn(logFile: string): string | undefined {
  return readFileSync(logFile, 'utf8').match(/^Unseal Key: (\S+)$/m)?.[1]
}
