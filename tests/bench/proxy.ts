// Benchmark of the proxy's cache hits, in one run against the same OpenBao on loopback, with the load
// generator (tests/bench/load.ts) in another process: KV v2 reads straight to OpenBao, through `bao proxy`
// (which only caches leases, so it forwards KV reads), and through this proxy (cache hits).
// Run: npm run bench:proxy
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { systemClock } from '../../main/engine/clock.ts'
import { VaultProxy } from '../../main/engine/proxy/server.ts'
import { ensureLabTools } from '../lab/install.ts'
import { freePort, startServer } from '../lab/process.ts'
import { startOpenBao } from '../lab/servers/openbao.ts'

const run = promisify(execFile)
const CONCURRENCY = process.env.BENCH_CONCURRENCY ?? '16'
const SECONDS = process.env.BENCH_SECONDS ?? '5'

const { tools } = await ensureLabTools()
const dir = mkdtempSync(join(tmpdir(), 'vault-tray-bench-proxy-'))
const openbao = await startOpenBao(tools.bao, dir, 30_000, new AbortController().signal)
const { address, rootToken } = openbao.info
const baoProxyPort = await freePort()
writeFileSync(
  join(dir, 'bao-proxy.hcl'),
  `vault { address = "${address}" }\nlistener "tcp" {\n  address = "127.0.0.1:${baoProxyPort}"\n  tls_disable = true\n}\ncache {}\napi_proxy { use_auto_auth_token = false }\n`,
)
const baoProxy = await startServer({
  name: 'bao proxy',
  command: tools.bao,
  args: ['proxy', `-config=${join(dir, 'bao-proxy.hcl')}`],
  env: { ...process.env, HOME: dir },
  logFile: join(dir, 'bao-proxy.log'),
  timeoutMs: 30_000,
  isReady: async () => (await fetch(`http://127.0.0.1:${baoProxyPort}/v1/sys/health`)).ok,
})
const proxy = new VaultProxy({ upstream: { address, skipVerify: false }, clock: systemClock })
const proxyAddress = await proxy.start()

try {
  const post = (path: string, body: unknown) => fetch(`${address}/v1/${path}`, { method: 'POST', headers: { 'X-Vault-Token': rootToken }, body: JSON.stringify(body) })
  await post('secret/data/bench/app', { data: { username: 'app', password: 'not-a-real-one' } })
  await post('sys/policies/acl/bench', { policy: 'path "secret/data/bench/*" { capabilities = ["read"] }\npath "secret/metadata/bench/*" { capabilities = ["read"] }' })
  const { auth } = (await (await post('auth/token/create', { policies: ['bench'], ttl: '1h' })).json()) as { auth: { client_token: string } }

  const load = async (base: string) => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'tests/bench/load.ts', `${base}/v1/secret/data/bench/app`, auth.client_token, CONCURRENCY, SECONDS])
    return JSON.parse(stdout) as { requests: number; failures: number; rps: number; p50: number; p99: number }
  }
  await load(proxyAddress) // warm: the first read fills the cache
  const direct = await load(address)
  const viaBao = await load(`http://127.0.0.1:${baoProxyPort}`)
  const viaUs = await load(proxyAddress)
  const rssOf = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)?.[1]) / 1024

  const row = (name: string, r: Awaited<ReturnType<typeof load>>, rss: string) =>
    `  ${name.padEnd(26)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(3)} ms   p99 ${r.p99.toFixed(3)} ms   ${r.failures} failed   ${rss}`
  console.log(`proxy benchmark: KV v2 GET, ${CONCURRENCY} connections for ${SECONDS}s each, load generator in its own process, OpenBao ${address}`)
  console.log(row('straight to OpenBao', direct, ''))
  console.log(row('through bao proxy', viaBao, `RSS ${rssOf(baoProxy.pid).toFixed(0)} MiB`))
  console.log(row('through vault-tray (hits)', viaUs, `RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (whole bench process)`))
  console.log(`  hits vs direct: ${(viaUs.rps / direct.rps).toFixed(1)}x throughput`)
} finally {
  await proxy.stop()
  await baoProxy.stop()
  await openbao.server.stop()
  rmSync(dir, { recursive: true, force: true })
}
