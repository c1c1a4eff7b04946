// Headless entry point. `daemon` runs the engine and reports the health of the configured Vault and kube-context.
import { homedir } from 'node:os'
import { join } from 'node:path'
import { text } from 'node:stream/consumers'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { SystemKeychain } from './engine/cache/keychain.ts'
import type { HealthReport } from './contract/index.ts'
import { Engine } from './engine/engine.ts'
import { configForContext, listContexts, loadKubeConfig, type LoadedKubeConfig } from './engine/kube/contexts.ts'
import { defaultCacheDir, savedSettings, settingsFilePath, syncClientCacheFile } from './engine/settings.ts'
import { installCrds } from './engine/kube/crds.ts'
import { preflight } from './engine/kube/preflight.ts'
import { userShellPath } from './engine/kube/shell-path.ts'
import { VaultAddressResolver } from './engine/kube/vault-address.ts'
import { detectOperator } from './engine/kube/vso-detect.ts'
import { fileLedger } from './engine/sync/lease-ledger.ts'
import { createLogger } from './engine/telemetry/log.ts'
import { serveMetrics } from './engine/telemetry/metrics-server.ts'
import { proxyLine } from './engine/event-log.ts'
import { cliToken, DEFAULT_VAULT_ADDR, vaultSettingsFromEnv } from './engine/vault/connection.ts'
import { cliConfigPath, configureTokenHelper, runTokenHelper } from './engine/vault/token-helper.ts'
import { systemClock } from './engine/clock.ts'
import { transitKeyProblem, userProxyOptions } from './engine/proxy/persistent-cache.ts'
import { VaultProxy } from './engine/proxy/server.ts'
import { startDaemonUi } from './ui/daemon-ui.ts'
import { localCertificate } from './engine/proxy/tls.ts'
import { LAB_HELP, LAB_USAGE, LabUsageError, runLabCommand } from './engine/lab/command.ts'
import { labEndpoints } from './engine/lab/lab.ts'
import { WriterLockHeld } from './engine/sync/writer-lease.ts'

const USAGE = `usage: vault-tray daemon [--once] [--json] [--interval SECONDS] [--sync [--context NAME] [--namespace NS]... [--mode auto|write|observe] [--metrics-port PORT] [--client-cache-persistence-model direct-encrypted|none]] [--ui [--ui-port PORT]] [--proxy [--proxy-port PORT] [--proxy-persist MOUNT/KEY]]
       vault-tray crds install [--context NAME] [--take-over]
       vault-tray preflight [--context NAME] [--namespace NS]
       vault-tray token-helper get|store|erase
       vault-tray token-helper enable|disable [--cli vault|bao]
       vault-tray proxy [--port PORT | --socket PATH] [--tls] [--optimistic]
       ${LAB_USAGE}

  daemon        run the engine against VAULT_ADDR and the current kube-context, reporting their health
    --once      check once, print, and exit (0 when both are healthy, 1 otherwise)
    --json      print each health report as one JSON line
    --interval  seconds between checks (default 10)
    --sync      also run the sync engine: reconcile VSO's custom resources of the kube-context into Secrets
    --context   the kube-context to sync (default: the current one)
    --namespace sync only this namespace (repeat for more; default: all)
    --mode      auto (observe when VSO runs in the cluster, the default), write, or observe
    --metrics-port  serve Prometheus metrics on 127.0.0.1:PORT/metrics (default 9464; 0 picks a free port)
    --client-cache-persistence-model  direct-encrypted (the default: Vault tokens survive a restart, sealed) or none
    --ui        serve the window to a browser on 127.0.0.1 and print its address, with a per-run token
    --ui-port   the port for --ui (default: a free one)
    --proxy     also run the local Vault proxy on 127.0.0.1 (see \`proxy\`), shown in the window's Proxy view
    --proxy-port  its port (default 8100; 0 picks a free one)
    --proxy-persist  keep the proxy's caches across restarts, sealed with this transit key (MOUNT/KEY) and the OS keychain
  preflight     check with SelfSubjectAccessReview what the sync engine may do in the kube-context, and say what is missing
  crds install  install or upgrade VSO's custom resource definitions in the kube-context
    --take-over replace CRDs another installer (VSO's Helm chart) put there; without it they are kept
  token-helper  the vault/bao CLI token helper: keeps the CLI's token in the OS keychain, not in ~/.vault-token
    enable      write the token_helper line into ~/.vault (or ~/.bao with --cli bao); disable takes it out
  proxy         a caching Vault proxy on 127.0.0.1 in front of VAULT_ADDR (static KV secret cache per token)
    --port      the port to listen on (default 8100)
    --socket    listen on this Unix socket instead (mode 0600)
    --tls       serve HTTPS with a certificate made on this machine (printed as VAULT_CACERT)
    --optimistic  keep serving cached answers for up to 5 min while Vault cannot say what a token may do
${LAB_HELP}`

export function describeHealth(report: HealthReport): string[] {
  const { vault, kube } = report
  const vaultLine = !vault.reachable
    ? `vault  ${vault.address}  unreachable: ${vault.error}`
    : `vault  ${vault.address}  ${!vault.initialized ? 'not initialized' : vault.sealed ? 'SEALED' : 'ok'}: version ${vault.version}, ${vault.sealed ? 'sealed' : 'unsealed'}, ${vault.standby ? 'standby' : 'active'}${vault.clusterName ? `, cluster ${vault.clusterName}` : ''}`
  const kubeLine = kube.reachable
    ? `kube   ${kube.context} (${kube.server})  ok: ${kube.version}`
    : `kube   ${kube.context ?? '(no context)'}${'server' in kube && kube.server ? ` (${kube.server})` : ''}  unreachable: ${kube.error}`
  return [vaultLine, kubeLine]
}

export function isHealthy(report: HealthReport): boolean {
  return report.vault.reachable && report.vault.initialized && !report.vault.sealed && report.kube.reachable
}

async function daemon(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      once: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      interval: { type: 'string', default: '10' },
      sync: { type: 'boolean', default: false },
      context: { type: 'string' },
      namespace: { type: 'string', multiple: true },
      mode: { type: 'string' },
      'metrics-port': { type: 'string' },
      ui: { type: 'boolean', default: false },
      'ui-port': { type: 'string' },
      proxy: { type: 'boolean', default: false },
      'proxy-port': { type: 'string' },
      'proxy-persist': { type: 'string' },
      'client-cache-persistence-model': { type: 'string', default: 'direct-encrypted' },
    },
  })
  const persistence = values['client-cache-persistence-model']
  if (persistence !== 'direct-encrypted' && persistence !== 'none') {
    throw new UsageError(`--client-cache-persistence-model must be direct-encrypted or none, not "${persistence}" (VSO's direct-unencrypted is refused: a token is never written in plaintext)`)
  }
  const persistProblem = values['proxy-persist'] ? transitKeyProblem(values['proxy-persist']) : undefined
  if (persistProblem) throw new UsageError(`--proxy-persist ${persistProblem}`)
  const intervalSeconds = Number(values.interval)
  if (!Number.isFinite(intervalSeconds) || intervalSeconds <= 0) throw new UsageError(`--interval must be a positive number of seconds, not "${values.interval}"`)

  // a Vault address saved in the window's Settings comes after VAULT_ADDR; with nothing configured at all, the
  // one-click lab is the default Vault and cluster, when there is one
  const userKube = loadKubeConfig()
  const { saved, problem } = savedSettings(settingsFilePath(process.env), userKube ? listContexts(userKube).map((context) => context.name) : [])
  if (problem) console.log(`settings  ${problem}`)
  const savedVault = !process.env.VAULT_ADDR && saved && saved.vaultAddress !== DEFAULT_VAULT_ADDR ? { VAULT_ADDR: saved.vaultAddress } : {}
  const lab = !process.env.VAULT_ADDR && !savedVault.VAULT_ADDR && !userKube ? labEndpoints() : undefined
  if (lab) console.log(`Nothing configured: using the one-click lab in ${lab.dir} (Vault ${lab.vaultAddress ?? 'none'}, kubeconfig ${lab.kubeconfig ?? 'none'}).`)
  const env = { ...process.env, ...savedVault, ...(lab?.vaultAddress ? { VAULT_ADDR: lab.vaultAddress } : {}), ...(lab?.kubeconfig ? { KUBECONFIG: lab.kubeconfig } : {}) }
  const kube = loadKubeConfig(env)
  const engine = new Engine({ vault: vaultSettingsFromEnv(env), kube, healthIntervalMs: intervalSeconds * 1000 })
  const print = (report: HealthReport) => console.log(values.json ? JSON.stringify(report) : describeHealth(report).join('\n'))
  if (values.once) {
    const report = await engine.checkHealth()
    print(report)
    if (!env.VAULT_ADDR && !report.kube.reachable && !values.json) console.log(NOTHING_CONFIGURED)
    return isHealthy(report) ? 0 : 1
  }

  let last = ''
  engine.events.on('health', (report) => {
    const text = JSON.stringify(report)
    if (text !== last) print(report)
    last = text
  })
  if (!env.VAULT_ADDR && !kube) console.log(NOTHING_CONFIGURED)
  engine.start()
  let sync: Awaited<ReturnType<typeof startSync>> | undefined
  try {
    sync = values.sync ? await startSync(engine, kube, { ...values, context: values.context ?? saved?.kubeContext }, saved?.cacheDir ?? defaultCacheDir(env)) : undefined
  } catch (error) {
    // a second copy on this machine: refused before it writes anything
    if (!(error instanceof WriterLockHeld)) throw error
    console.error(`sync   ${error.message}`)
    engine.stop()
    return 1
  }
  if (values.proxy) {
    const port = Number(values['proxy-port'] ?? saved?.proxyPort ?? '8100')
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--proxy-port must be a port number, not "${values['proxy-port']}"`)
    // how the cache is kept fresh and across restarts, said once each (requests go to the window's event list)
    engine.events.on('proxy', (event) => {
      if (event.kind === 'freshness' || event.kind === 'feed-problem' || event.kind === 'restored' || event.kind === 'save-failed') console.log(`proxy  ${proxyLine(event)?.message}`)
    })
    // --proxy-persist MOUNT/KEY: the caches survive a restart, sealed with that transit key, unlocked with the CLI's token
    const options = userProxyOptions(env, saved?.cacheDir ?? defaultCacheDir(env), values['proxy-persist'] ?? saved?.proxyPersist)
    console.log(`proxy  ${await engine.startProxy({ port, ...options })}  (export VAULT_ADDR=${engine.proxy!.address} to use it)`)
  }
  const ui = values.ui ? await startDaemonUi(engine, env, values['ui-port'], (line) => console.log(line), sync?.switchTo) : undefined
  await stopRequested()
  await ui?.()
  await sync?.stop()
  await engine.stopProxy()
  engine.stop()
  return 0
}

/**
 * Resolves on SIGINT, SIGTERM or SIGHUP, or when the `npm start` that started this daemon is gone (even killed
 * with SIGKILL): a daemon left behind would go on holding the writer Lease.
 */
function stopRequested(): Promise<void> {
  return new Promise<void>((resolve) => {
    const parent = Number(process.env.VAULT_TRAY_PARENT_PID)
    const watch = parent > 0 ? setInterval(() => process.ppid !== parent && done(), 1_000) : undefined
    const done = () => {
      clearInterval(watch)
      resolve()
    }
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, done)
  })
}

/** Runs the sync engine and its metrics endpoint; returns what stops them. */
async function startSync(
  engine: Engine,
  kube: LoadedKubeConfig | undefined,
  values: { context?: string; namespace?: string[]; mode?: string; 'metrics-port'?: string; json?: boolean; 'client-cache-persistence-model'?: string },
  cacheDir: string,
): Promise<{ stop: () => Promise<void>; switchTo: (context: string) => Promise<void> }> {
  if (!kube) throw new UsageError('--sync needs a kube-context: set KUBECONFIG, or start the lab.')
  const mode = values.mode ?? 'auto'
  if (mode !== 'auto' && mode !== 'write' && mode !== 'observe') throw new UsageError(`--mode must be auto, write or observe, not "${mode}"`)
  const metricsPort = Number(values['metrics-port'] ?? '9464')
  if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65_535) throw new UsageError(`--metrics-port must be a port number, not "${values['metrics-port']}"`)
  const config = values.context ? configForContext(kube, values.context) : kube.config
  const addresses = new VaultAddressResolver(config, {})
  const context = config.getCurrentContext()
  engine.events.on('sync', (event) => {
    if (values.json) return console.log(JSON.stringify({ sync: event }))
    if (event.kind === 'mode') console.log(`sync   ${event.context}  ${event.mode === 'write' ? 'syncing' : 'observing only'}: ${event.evidence.join('; ')}`)
    if (event.kind === 'record') console.log(`sync   ${event.record.key}  ${event.record.state}: ${event.record.diagnosis ? `${event.record.diagnosis.cause} ${event.record.diagnosis.fix}` : event.record.message}`)
    if (event.kind === 'watch' || event.kind === 'lease-revoked') console.log(`sync   ${event.message}`)
    if (event.kind === 'client-cache') console.log(`sync   client cache: ${event.status.model === 'direct-encrypted' ? event.status.detail : event.status.reason}`)
  })
  const shellPath = await userShellPath()
  if (shellPath.reason) console.log(`sync   ${shellPath.reason}`)
  const options = (name: string): Parameters<Engine['startSync']>[1] => ({
    execPath: shellPath.path,
    mode,
    namespaces: values.namespace?.length ? values.namespace : undefined,
    detectOperator,
    resolveAddress: async (address) => {
      const resolved = await addresses.resolveVaultAddress(address)
      return { address: resolved.address, how: resolved.description, tlsServerName: resolved.tlsServerName }
    },
    log: createLogger(),
    version: VERSION,
    clientCache:
      values['client-cache-persistence-model'] === 'none'
        ? { off: 'Vault tokens are kept in memory only: --client-cache-persistence-model none. Each restart logs in again.' }
        : { file: syncClientCacheFile(cacheDir, name), keychain: new SystemKeychain() },
    ledger: fileLedger(join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'vault-tray', 'sync', `${name}.leases.json`), (message) => console.error(message)),
  })
  let sync = await engine.startSync(context, options(context))
  const metrics = await serveMetrics(() => sync.registry, metricsPort)
  console.log(`sync   metrics on ${metrics.url}`)
  return {
    stop: async () => {
      await metrics.close()
      await engine.stopSync()
      await addresses.close()
    },
    // the window's Settings switch context; the metrics endpoint follows the new engine's registry
    switchTo: async (name) => {
      sync = await engine.startSync(name, options(name))
      console.log(`sync   switched to kube-context ${name}`)
    },
  }
}

async function preflightCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { context: { type: 'string' }, namespace: { type: 'string' } } })
  const kube = loadKubeConfig()
  if (!kube) throw new UsageError('No kubeconfig: set KUBECONFIG.')
  const config = values.context ? configForContext(kube, values.context) : kube.config
  const report = await preflight(config, { namespace: values.namespace })
  console.log(report.summary)
  return report.missing.length === 0 ? 0 : 1
}

async function crds(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { context: { type: 'string' }, 'take-over': { type: 'boolean', default: false } } })
  if (positionals[0] !== 'install') throw new UsageError(positionals[0] ? `unknown crds operation "${positionals[0]}"` : 'crds needs an operation: install')
  const kube = loadKubeConfig()
  if (!kube) throw new UsageError('No kubeconfig: set KUBECONFIG.')
  const config = values.context ? configForContext(kube, values.context) : kube.config
  for (const result of await installCrds(config, { takeOver: values['take-over'] })) console.log(`${result.name}: ${result.action}${result.detail ? ` (${result.detail})` : ''}`)
  return 0
}

const VERSION = '0.1.0'

const NOTHING_CONFIGURED =
  'Nothing is configured: set VAULT_ADDR (and VAULT_TOKEN) and KUBECONFIG, or set up the whole VSO tutorial locally: "Set up the lab" in the window\'s Lab view, or `npm run vault-tray -- lab up`.'

class UsageError extends Error {}

const HELPER_SCRIPT = fileURLToPath(new URL('../bin/vault-tray-token-helper', import.meta.url))

async function tokenHelper(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { cli: { type: 'string', default: 'vault' } } })
  const [operation] = positionals
  if (operation === 'get' || operation === 'store' || operation === 'erase') {
    process.stdout.write(await runTokenHelper(operation, new SystemKeychain(), process.env, () => text(process.stdin)))
    return 0
  }
  if (operation === 'enable' || operation === 'disable') {
    if (values.cli !== 'vault' && values.cli !== 'bao') throw new UsageError(`--cli must be vault or bao, not "${values.cli}"`)
    const configPath = cliConfigPath(process.env, values.cli)
    const result = configureTokenHelper(configPath, HELPER_SCRIPT, operation === 'enable')
    const done = operation === 'enable' ? `${configPath} now sends the ${values.cli} CLI's token to the OS keychain` : `${configPath} no longer names vault-tray as token helper`
    console.log(result.changed ? done : `${configPath} already says so; nothing changed`)
    if (result.replaced) console.log(`(it replaced: ${result.replaced})`)
    return 0
  }
  throw new UsageError(operation ? `unknown token-helper operation "${operation}"` : 'token-helper needs an operation')
}

async function proxy(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string', default: '8100' }, tls: { type: 'boolean', default: false }, socket: { type: 'string' }, optimistic: { type: 'boolean', default: false } } })
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port must be a port number, not "${values.port}"`)
  const upstream = vaultSettingsFromEnv()
  const certificate = values.tls ? await localCertificate(join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'vault-tray', 'proxy-tls')) : undefined
  const server = new VaultProxy({
    upstream,
    port,
    socketPath: values.socket,
    tls: certificate,
    // a hit while Vault cannot be asked what the token may do is the user's explicit choice
    refreshBehavior: values.optimistic ? 'optimistic' : 'pessimistic',
    clock: systemClock,
    // the user's own token subscribes to Vault's event stream for the cache's freshness; it is never lent to a request
    eventsToken: cliToken(process.env),
    onEvent: (event) => event.kind === 'freshness' && console.log(proxyLine(event)?.message),
  })
  const address = await server.start()
  const exports = `export VAULT_ADDR=${address}${certificate ? ` VAULT_CACERT=${certificate.certFile}` : ''}`
  console.log(`Vault proxy for ${upstream.address} on ${address}\n\n${exports}\n\nCtrl-C stops it.`)
  await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve))
  await server.stop()
  return 0
}

/** The one-click lab (main/engine/lab/command.ts); its usage errors are ours. */
async function lab(args: string[]): Promise<number> {
  try {
    return await runLabCommand(args)
  } catch (error) {
    throw error instanceof LabUsageError ? new UsageError(error.message) : error
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (command === 'daemon') return await daemon(rest)
    if (command === 'token-helper') return await tokenHelper(rest)
    if (command === 'proxy') return await proxy(rest)
    if (command === 'crds') return await crds(rest)
    if (command === 'preflight') return await preflightCommand(rest)
    if (command === 'lab') return await lab(rest)
    throw new UsageError(command ? `unknown command "${command}"` : 'no command given')
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(error as Error).message}\n\n${USAGE}`)
      return 2
    }
    console.error((error as Error).message)
    return 1
  }
}

process.exitCode = await main(process.argv.slice(2))
