// Serves a Prometheus registry at http://127.0.0.1:<port>/metrics: loopback only, nothing else on it.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'

export async function serveMetrics(registryOf: Registry | (() => Registry), port: number): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics is served here.\n')
      return
    }
    // a function follows a registry that changes (the sync engine of another kube-context)
    const registry = typeof registryOf === 'function' ? registryOf() : registryOf
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`Could not collect the metrics: ${(error as Error).message}\n`),
    )
  })
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve))
  const { port: bound } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${bound}/metrics`, close: () => new Promise((resolve) => server.close(() => resolve())) }
}
