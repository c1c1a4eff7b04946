// Benchmark of the proxy, in one run, on each server (OpenBao, then HashiCorp Vault), with bombardier (a Go load
// generator in a process of its own, so the figures do not share Node's costs): a KV v2 GET of one secret with one
// token, straight to the server, through the server's own proxy (`bao proxy` / `vault proxy`, whose cache keeps
// leases only, so it forwards KV reads), and through Vault Tray's proxy as `npm start -- --proxy` runs it (cache
// hits), at 16 and at 1 connection. Then: what a miss adds to a direct read, the Node generator as a second
// opinion, and the proxy's RSS with 100,000 cached entries (OpenBao; BENCH_ENTRIES changes the count).
// Run: npm run bench:proxy        (BENCH_SECONDS=8 per figure)
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ensureBombardier, ensureLabTools } from '../lab/install.ts'
import { freePort, startServer, type RunningServer } from '../lab/process.ts'
import { startOpenBao, startVault } from '../lab/servers/openbao.ts'

const run = promisify(execFile)
const SECONDS = Number(process.env.BENCH_SECONDS ?? '8')
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? '100000')
const SECRET = 'secret/data/bench/app'

interface Figure {
  rps: number
  p50: number
  p99: number
  failed: number
}

const bombardier = await ensureBombardier()
const { tools } = await ensureLabTools()
const dir = mkdtempSync(join(tmpdir(), 'vault-tray-bench-proxy-'))

/** bombardier's figures for `connections` keep-alive connections over SECONDS (latencies in ms). */
async function load(url: string, token: string, connections: number): Promise<Figure> {
  const { stdout } = await run(bombardier, ['-c', String(connections), '-d', `${SECONDS}s`, '-l', '-H', `X-Vault-Token: ${token}`, '-o', 'json', '-p', 'r', url], { maxBuffer: 16 << 20 })
  const { result } = JSON.parse(stdout) as { result: { rps: { mean: number }; latency: { percentiles: Record<string, number> }; req1xx: number; req3xx: number; req4xx: number; req5xx: number; others: number } }
  return { rps: result.rps.mean, p50: result.latency.percentiles['50']! / 1000, p99: result.latency.percentiles['99']! / 1000, failed: result.req1xx + result.req3xx + result.req4xx + result.req5xx + result.others }
}

/** The Node generator (tests/bench/load.ts), the second opinion. */
async function nodeLoad(url: string, token: string, connections: number): Promise<Figure> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'tests/bench/load.ts', url, token, String(connections), String(SECONDS)])
  const r = JSON.parse(stdout) as { rps: number; p50: number; p99: number; failures: number }
  return { rps: r.rps, p50: r.p50, p99: r.p99, failed: r.failures }
}

/** `vault-tray daemon --proxy`, as `npm start -- --proxy` runs it, with nothing else configured. */
async function startDaemonProxy(address: string, token: string): Promise<{ child: ChildProcess; address: string; rssMiB: () => number }> {
  const port = await freePort()
  const home = mkdtempSync(join(dir, 'home-'))
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli.ts', 'daemon', '--proxy', '--proxy-port', String(port), '--interval', '600'], {
    env: { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'data'), VAULT_ADDR: address, VAULT_TOKEN: token, KUBECONFIG: join(home, 'no-kubeconfig') },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let printed = ''
  child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()))
  const deadline = Date.now() + 60_000
  while (!printed.includes(`proxy  http://127.0.0.1:${port}`)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the daemon's proxy did not start:\n${printed}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { child, address: `http://127.0.0.1:${port}`, rssMiB: () => Number(readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)?.[1]) / 1024 }
}

/** The server's own proxy (`bao proxy` or `vault proxy`) with its cache on and no auto-auth. */
async function startServersProxy(binary: string, name: string, address: string): Promise<{ server: RunningServer; address: string }> {
  const port = await freePort()
  const config = join(dir, `${name}-proxy.hcl`)
  writeFileSync(config, `vault { address = "${address}" }\nlistener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_disable = true\n}\ncache {}\napi_proxy { use_auto_auth_token = false }\n`)
  const server = await startServer({
    name: `${name} proxy`,
    command: binary,
    args: ['proxy', `-config=${config}`],
    // the config's vault address, not one from the environment (an empty VAULT_ADDR still wins over the config)
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(VAULT|BAO)_/.test(key))), HOME: dir },
    logFile: join(dir, `${name}-proxy.log`),
    timeoutMs: 30_000,
    isReady: async () => (await fetch(`http://127.0.0.1:${port}/v1/sys/health`)).ok,
  })
  return { server, address: `http://127.0.0.1:${port}` }
}

/** Sequential reads of secrets read nowhere before, straight and through the proxy: the p50 of each, in ms. */
async function missCost(direct: string, proxy: string, root: string, token: string, count = 300): Promise<{ direct: number; miss: number }> {
  const timedRead = async (base: string, path: string) => {
    const started = performance.now()
    const response = await fetch(`${base}/v1/secret/data/bench/${path}`, { headers: { 'X-Vault-Token': token } })
    await response.arrayBuffer()
    if (response.status !== 200) throw new Error(`a read of bench/${path} answered ${response.status}`)
    return performance.now() - started
  }
  await Promise.all(Array.from({ length: 2 * count }, (_, i) => write(direct, root, `bench/miss-${i}`, { i })))
  const times = { direct: [] as number[], miss: [] as number[] }
  for (let i = 0; i < count; i++) {
    times.direct.push(await timedRead(direct, `miss-${2 * i}`))
    times.miss.push(await timedRead(proxy, `miss-${2 * i + 1}`))
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  return { direct: median(times.direct), miss: median(times.miss) }
}

async function write(address: string, root: string, path: string, data: unknown): Promise<void> {
  const response = await fetch(`${address}/v1/secret/data/${path}`, { method: 'POST', headers: { 'X-Vault-Token': root }, body: JSON.stringify({ data }) })
  await response.arrayBuffer()
  if (!response.ok) throw new Error(`writing secret/${path} answered ${response.status}`)
}

/** Fills the proxy's cache with `count` secrets, each written once and read once through it, 32 at a time. */
async function fill(direct: string, proxy: string, root: string, token: string, count: number): Promise<void> {
  let next = 0
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      await write(direct, root, `bench/entry-${i}`, { username: `user-${i}`, password: 'not-a-real-one' })
      const response = await fetch(`${proxy}/v1/secret/data/bench/entry-${i}`, { headers: { 'X-Vault-Token': token } })
      await response.arrayBuffer()
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker))
}

const row = (name: string, f: Figure, direct?: Figure) =>
  `  ${name.padEnd(38)} ${f.rps.toFixed(0).padStart(7)} req/s   p50 ${f.p50.toFixed(3).padStart(7)} ms   p99 ${f.p99.toFixed(3).padStart(7)} ms${direct ? `   ${(f.rps / direct.rps).toFixed(1).padStart(5)}× direct` : ''}${f.failed ? `   ${f.failed} not 200` : ''}`

const servers = [
  { name: 'OpenBao', cli: 'bao', binary: tools.bao, start: () => startOpenBao(tools.bao, join(dir, 'openbao-server'), 30_000, new AbortController().signal) },
  { name: 'Vault', cli: 'vault', binary: tools.vault, start: () => startVault(tools.vault, join(dir, 'vault-server'), 30_000, new AbortController().signal) },
]

console.log(`proxy benchmark: KV v2 GET of one secret with one token, bombardier ${SECONDS}s per figure, everything on 127.0.0.1`)
try {
  for (const { name, cli, binary, start } of servers) {
    const vault = await start()
    const { address, rootToken } = vault.info
    const own = await startServersProxy(binary, cli, address)
    const ours = await startDaemonProxy(address, rootToken)
    try {
      await write(address, rootToken, 'bench/app', { username: 'app', password: 'not-a-real-one' })
      const policy = 'path "secret/data/bench/*" { capabilities = ["read"] }\npath "secret/metadata/bench/*" { capabilities = ["read"] }'
      await fetch(`${address}/v1/sys/policies/acl/bench`, { method: 'PUT', headers: { 'X-Vault-Token': rootToken }, body: JSON.stringify({ policy }) })
      const created = await fetch(`${address}/v1/auth/token/create`, { method: 'POST', headers: { 'X-Vault-Token': rootToken }, body: JSON.stringify({ policies: ['bench'], ttl: '1h' }) })
      const token = ((await created.json()) as { auth: { client_token: string } }).auth.client_token
      const hit = await fetch(`${ours.address}/v1/${SECRET}`, { headers: { 'X-Vault-Token': token } })
      await hit.arrayBuffer() // the first read fills the cache: every read after it is a hit

      console.log(`${name} (${address}):`)
      for (const connections of [16, 1]) {
        const direct = await load(`${address}/v1/${SECRET}`, token, connections)
        const viaOwn = await load(`${own.address}/v1/${SECRET}`, token, connections)
        const viaOurs = await load(`${ours.address}/v1/${SECRET}`, token, connections)
        console.log(`  ${connections} connection${connections === 1 ? '' : 's'}:`)
        console.log(row(`  straight to ${name}`, direct))
        console.log(row(`  through \`${cli} proxy\``, viaOwn, direct))
        console.log(row('  through vault-tray (hits)', viaOurs, direct))
      }
      const second = await nodeLoad(`${ours.address}/v1/${SECRET}`, token, 16)
      console.log(row('  second opinion (Node generator, 16)', second))
      const misses = await missCost(address, ours.address, rootToken, token)
      console.log(`  a miss adds ${(misses.miss - misses.direct).toFixed(3)} ms to a direct read (p50 of 300 sequential reads: direct ${misses.direct.toFixed(3)} ms, through vault-tray ${misses.miss.toFixed(3)} ms)`)
      console.log(`  vault-tray daemon RSS after these runs: ${ours.rssMiB().toFixed(0)} MiB`)
      if (name === 'OpenBao' && ENTRIES > 0) {
        const started = performance.now()
        await fill(address, ours.address, rootToken, token, ENTRIES)
        const metrics = await (await fetch(`${ours.address}/proxy/v1/metrics`, { headers: { 'X-Vault-Token': rootToken } })).text()
        const evicted = [...metrics.matchAll(/^vault_tray_proxy_cache_evictions_total\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0)
        console.log(`  with ${ENTRIES.toLocaleString('en')} secrets read through it (${((performance.now() - started) / 1000).toFixed(0)} s to fill; ${evicted} evicted by the cache's bounds): RSS ${ours.rssMiB().toFixed(0)} MiB`)
      }
    } finally {
      ours.child.kill('SIGTERM')
      await once(ours.child, 'exit')
      await own.server.stop()
      await vault.server.stop()
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
