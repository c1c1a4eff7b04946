// A load generator in its own process: GETs one URL with a token over keep-alive connections, `concurrency`
// at a time, for `seconds`, then prints requests per second and latency percentiles as JSON.
import { Agent, request } from 'node:http'

const [target, token, concurrency = '16', seconds = '5'] = process.argv.slice(2)
if (!target || !token) throw new Error('usage: load.ts URL TOKEN [CONCURRENCY] [SECONDS]')
const url: string = target
const agent = new Agent({ keepAlive: true, maxSockets: Number(concurrency) })
const latencies: number[] = []
let failures = 0
const deadline = performance.now() + Number(seconds) * 1000

function once(): Promise<void> {
  const started = performance.now()
  return new Promise((resolve) => {
    request(url, { agent, headers: { 'X-Vault-Token': token } }, (response) => {
      response.resume()
      response.on('end', () => {
        if (response.statusCode === 200) latencies.push(performance.now() - started)
        else failures++
        resolve()
      })
    })
      .on('error', () => (failures++, resolve()))
      .end()
  })
}

const startedAt = performance.now()
await Promise.all(Array.from({ length: Number(concurrency) }, async () => { while (performance.now() < deadline) await once() }))
const elapsed = (performance.now() - startedAt) / 1000
latencies.sort((a, b) => a - b)
const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN
console.log(JSON.stringify({ requests: latencies.length, failures, rps: latencies.length / elapsed, p50: pick(0.5), p99: pick(0.99) }))
agent.destroy()
