// Prometheus metrics (prom-client). Labels never carry a token, a secret value or a request path.
import { Counter, Histogram, Registry } from 'prom-client'

export function createRegistry(): Registry {
  return new Registry()
}

/** The proxy's metrics, registered on the given registry. */
export function proxyMetrics(registry: Registry) {
  return {
    requests: new Counter({ name: 'vault_tray_proxy_requests_total', help: 'Requests served by the proxy, by method, status class and cache result.', labelNames: ['method', 'status', 'cache'] as const, registers: [registry] }),
    evictions: new Counter({ name: 'vault_tray_proxy_cache_evictions_total', help: 'Static secret cache entries evicted, by reason.', labelNames: ['reason'] as const, registers: [registry] }),
    capabilityRefreshes: new Counter({ name: 'vault_tray_proxy_capability_refreshes_total', help: 'Rounds of sys/capabilities-self checks of cached tokens.', registers: [registry] }),
    capabilitiesRemoved: new Counter({ name: 'vault_tray_proxy_capabilities_removed_total', help: 'Cached read capabilities taken away from tokens.', registers: [registry] }),
    upstreamSeconds: new Histogram({
      name: 'vault_tray_proxy_upstream_request_duration_seconds',
      help: 'Time until the upstream Vault answered a forwarded request.',
      labelNames: ['method'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    upstreamErrors: new Counter({ name: 'vault_tray_proxy_upstream_errors_total', help: 'Forwarded requests the upstream Vault did not answer.', registers: [registry] }),
  }
}
