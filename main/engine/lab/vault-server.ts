// The lab's Vault: a real server of `bao` or `vault` (integrated storage in the lab directory, listening on
// 127.0.0.1 only), initialized with one unseal key, whose root token and unseal key go straight to the keychain.
// Not `server -dev`: that one prints both to its log and forgets everything when it stops. This one keeps its
// data, comes back sealed after a reboot, and `lab up` unseals it with the key from the keychain.
import { execFile } from 'node:child_process'
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { VaultClient, VaultError } from '../vault/client.ts'
import { readSealStatus } from '../vault/health.ts'
import type { LabContext } from './context.ts'
import { stopProcessGroup } from './process.ts'
import type { StepHandle } from './runner.ts'
import { ensureServer, type OwnedServer } from './servers.ts'

const run = promisify(execFile)

export type VaultFlavor = 'openbao' | 'vault'

/** `bao version` says "OpenBao v2.7.2 (…)", `vault version` "Vault v1.20.0 (…)". */
export async function vaultFlavor(binary: string): Promise<{ flavor: VaultFlavor; version: string }> {
  let stdout: string
  try {
    ;({ stdout } = await run(binary, ['version'], { timeout: 10_000, env: { ...process.env, HOME: '/nonexistent' } }))
  } catch (error) {
    throw new Error(`${binary} could not be run (${(error as Error).message.split('\n')[0]}). Is it a bao or vault binary for this machine?`, { cause: error })
  }
  const match = /^(OpenBao|Vault) (v\S+)/m.exec(stdout)
  if (!match) throw new Error(`${binary} does not say it is OpenBao or Vault ("${stdout.trim().slice(0, 80)}"). Point --vault-bin at a bao or vault binary.`)
  return { flavor: match[1] === 'OpenBao' ? 'openbao' : 'vault', version: match[2]! }
}

function configFile(dataDir: string, ports: Record<string, number>, flavor: VaultFlavor): string {
  return [
    // performance_multiplier 1: a single node elects itself in about a second instead of five
    `storage "raft" {\n  path = "${dataDir}"\n  node_id = "vault-tray-lab"\n  performance_multiplier = 1\n}`,
    `listener "tcp" {\n  address = "127.0.0.1:${ports.main}"\n  cluster_address = "127.0.0.1:${ports.cluster}"\n  tls_disable = true\n}`,
    `api_addr = "http://127.0.0.1:${ports.main}"`,
    `cluster_addr = "http://127.0.0.1:${ports.cluster}"`,
    // Vault locks its memory unless told not to, which needs a capability a laptop user does not have; OpenBao dropped mlock
    flavor === 'vault' ? 'disable_mlock = true' : '',
    // Vault 1.14's event stream is an experiment (the tutorial's instant updates need it); OpenBao has none
    flavor === 'vault' ? 'experiments = ["events.alpha1"]' : '',
    'ui = false',
    '',
  ].join('\n')
}

/** The server's environment: the user's, without anything that would point it at the user's own Vault or token. */
function serverEnv(home: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(VAULT|BAO)_/.test(name)))
  return { ...env, HOME: home }
}

/** "Vault up and unsealed" for a Vault the lab owns. */
export async function ownVault(step: StepHandle, context: LabContext, binary: string, flavor: VaultFlavor): Promise<void> {
  const dir = context.paths.server('vault')
  const dataDir = join(dir, 'data')
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const file = join(dir, 'config.hcl')
  const server: OwnedServer = {
    name: 'vault',
    roles: ['main', 'cluster'],
    explicitPort: context.ports.vault,
    portFlag: '--vault-port',
    launch: (ports) => {
      const config = configFile(dataDir, ports, flavor)
      return {
        command: binary,
        args: ['server', `-config=${file}`],
        env: serverEnv(dir),
        cwd: dir,
        config,
        prepare: () => writeFileSync(file, config, { mode: 0o600 }),
        // listening is enough: a new or restarted server answers sealed
        isReady: async () => (await fetch(`http://127.0.0.1:${ports.main}/v1/sys/health?uninitcode=200&sealedcode=200&standbycode=200`)).status > 0,
      }
    },
  }
  for (let attempt = 1; ; attempt++) {
    const ports = await ensureServer(step, context, server, context.timeouts.serverMs)
    if (!ports) return
    const address = `http://127.0.0.1:${ports.main}`
    const client = new VaultClient({ address, skipVerify: false }, { timeoutMs: 15_000 })
    context.onClose(() => client.close())
    const problem = await initAndUnseal(step, context, client)
    if (!problem) {
      context.vault = { address, client, token: context.material.rootToken!, owned: true }
      return
    }
    if (step.dryRun) return step.changed(`start the lab's Vault afresh: ${problem}`)
    if (attempt > 1) throw new Error(`${problem}, even after starting afresh. Run \`vault-tray lab down\`, then \`lab up\`.`)
    // everything in the lab's Vault is made again by the next steps, so a Vault nobody can open is set aside, not kept
    step.checkpoint()
    await stopProcessGroup(context.store.state.servers.vault!.pid)
    const aside = `${dataDir}.lost-${new Date().toISOString().replace(/[:.]/g, '-')}`
    renameSync(dataDir, aside)
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    step.note(`${problem}: its data is set aside in ${aside} (\`lab down\` removes it) and a new Vault is initialized`)
  }
}

/** Initializes (keeping the root token and unseal key first) and unseals; says why not when this Vault cannot be opened. */
async function initAndUnseal(step: StepHandle, context: LabContext, client: VaultClient): Promise<string | undefined> {
  const { secrets, material } = context
  const kept = () => (secrets.where === 'file' ? context.paths.secretsFile : 'the OS keychain')
  const lost = (what: string) => `the lab's Vault is initialized, but ${what}`
  const seal = await readSealStatus(client)
  if (!seal.initialized) {
    if (step.dryRun) return void step.changed('initialize Vault')
    step.checkpoint()
    const init = await client.request<{ keys_base64: string[]; root_token: string }>({ method: 'PUT', path: 'sys/init', body: { secret_shares: 1, secret_threshold: 1 } })
    // kept before anything else happens: without them this Vault's data can never be opened again
    material.rootToken = init.root_token
    material.unsealKey = init.keys_base64[0]
    await context.saveMaterial()
    step.changed(`initialized with one unseal key; root token and unseal key kept in ${kept()}`)
  } else if (!material.unsealKey || !material.rootToken) {
    return lost(`its ${material.unsealKey ? 'root token' : 'unseal key'} is not in ${kept()} (deleted by hand, or another keychain)`)
  }
  if ((await readSealStatus(client)).sealed) {
    if (step.dryRun) return void step.changed('unseal Vault (it is sealed)')
    step.checkpoint()
    try {
      await client.request({ method: 'PUT', path: 'sys/unseal', body: { key: material.unsealKey } })
    } catch (error) {
      if (!(error instanceof VaultError) || error.status === 0) throw error
      return lost('the unseal key kept for it does not open it')
    }
    step.changed(`unsealed with the key from ${kept()}`)
  }
  await waitActive(client, context.timeouts.serverMs)
  try {
    await client.request({ method: 'GET', path: 'auth/token/lookup-self', token: material.rootToken })
  } catch (error) {
    if (!(error instanceof VaultError) || error.status !== 403) throw error
    return lost('the root token kept for it is no longer valid')
  }
  return undefined
}

/** After unsealing, a raft node elects itself before it serves; sys/health says 200 once it is active. */
async function waitActive(client: VaultClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await client.request({ method: 'GET', path: 'sys/health' })
      return
    } catch (error) {
      if (!(error instanceof VaultError) || Date.now() > deadline) {
        throw new Error(`The lab's Vault at ${client.address} did not become active within ${timeoutMs} ms after unsealing (${(error as Error).message}). See its log.`, { cause: error })
      }
    }
    await sleep(100)
  }
}
