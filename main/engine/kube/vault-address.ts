// VSO runs inside the cluster, so a VaultConnection's address is often a cluster-internal Service name
// (http://vault.vault.svc:8200) that a laptop cannot resolve. Such an address is reached the way the user
// says in settings, or else through a port-forward via the apiserver to a ready Pod behind that Service.
import { createServer, type Server, type Socket } from 'node:net'
import { PassThrough, Writable } from 'node:stream'
import { CoreV1Api, DiscoveryV1Api, PortForward, type KubeConfig, type V1Service, type V1ServicePort } from '@kubernetes/client-node'
import WebSocket from 'ws'
import type { Logger } from '../telemetry/log.ts'

export interface VaultAddressSettings {
  /** Keyed by the full address (`http://vault.vault.svc:8200`) or by `host:port`; the value is used as is. */
  addressMap?: Record<string, string>
}

export type AddressRoute = 'direct' | 'mapped' | 'port-forward'

export interface ResolvedVaultAddress {
  /** What the Vault client should connect to. */
  address: string
  how: AddressRoute
  /** For https through a port-forward: check Vault's certificate against this name, not 127.0.0.1. */
  tlsServerName?: string
  /** One sentence for the UI and the log. */
  description: string
}

export interface ClusterService {
  namespace: string
  service: string
  port: number
  scheme: 'http' | 'https'
  host: string
}

export type VaultAddressProblem = 'invalid-address' | 'service-not-found' | 'no-such-port' | 'no-ready-pod' | 'port-forward-failed'

export class VaultAddressError extends Error {
  constructor(
    readonly problem: VaultAddressProblem,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'VaultAddressError'
  }
}

// <service>.<namespace>.svc, optionally followed by the cluster domain (cluster.local or a custom one)
const SERVICE_HOST = /^([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.svc(?:\.[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)?\.?$/

function parseAddress(address: string): URL {
  let url: URL
  try {
    url = new URL(address)
  } catch {
    throw new VaultAddressError('invalid-address', `The Vault address "${address}" is not a URL. Write it as http(s)://host:port, as in a VaultConnection's spec.address.`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new VaultAddressError('invalid-address', `The Vault address "${address}" must start with http:// or https://.`)
  return url
}

const portOf = (url: URL) => Number(url.port || (url.protocol === 'https:' ? 443 : 80))

/** The Service a cluster-internal address names, or undefined for an address the laptop can try directly. */
export function clusterService(address: string): ClusterService | undefined {
  const url = parseAddress(address)
  const match = SERVICE_HOST.exec(url.hostname.toLowerCase())
  if (!match) return undefined
  return { service: match[1]!, namespace: match[2]!, port: portOf(url), scheme: url.protocol === 'https:' ? 'https' : 'http', host: url.hostname }
}

/** The user's own mapping for this address, looked up by the full address, then by host:port. */
export function mappedAddress(address: string, settings: VaultAddressSettings = {}): string | undefined {
  const map = settings.addressMap ?? {}
  const url = parseAddress(address)
  const keys = [address, address.replace(/\/+$/, ''), url.origin, `${url.hostname}:${portOf(url)}`]
  for (const key of keys) if (map[key]) return map[key]
  return undefined
}

interface Backend {
  pod: string
  targetPort: number
}

interface Forward {
  service: ClusterService
  context: string
  server: Server
  localPort: number
  backend: Backend
  connections: Set<{ socket: Socket; ws?: WebSocket }>
}

export interface VaultAddressResolverOptions {
  logger?: Logger
}

/**
 * Resolves VaultConnection addresses for one kube-context. Port-forwards are kept, one per Service port, until
 * close(); each connection to the local port is one port-forward stream through the apiserver.
 */
export class VaultAddressResolver {
  readonly #config: KubeConfig
  readonly #logger: Logger | undefined
  readonly #forwards = new Map<string, Promise<Forward>>()
  #closed = false

  constructor(config: KubeConfig, options: VaultAddressResolverOptions = {}) {
    this.#config = config
    this.#logger = options.logger
  }

  async resolveVaultAddress(address: string, settings: VaultAddressSettings = {}): Promise<ResolvedVaultAddress> {
    const mapped = mappedAddress(address, settings)
    if (mapped) return { address: mapped, how: 'mapped', description: `Vault at ${address} is reached at ${mapped}, as mapped in settings.` }
    const service = clusterService(address)
    if (!service) return { address, how: 'direct', description: `Vault at ${address} is reached directly.` }
    if (this.#closed) throw new Error('The Vault address resolver is closed: it opens no more port-forwards.')
    const key = `${service.namespace}/${service.service}:${service.port}`
    let forward = this.#forwards.get(key)
    if (!forward) {
      forward = this.#open(service, address)
      this.#forwards.set(key, forward)
      // a failed attempt is not kept: the next resolve tries again (Vault may have started meanwhile)
      forward.catch(() => this.#forwards.delete(key))
    }
    const { localPort, backend, context } = await forward
    const local = `${service.scheme}://127.0.0.1:${localPort}`
    return {
      address: local,
      how: 'port-forward',
      ...(service.scheme === 'https' ? { tlsServerName: service.host } : {}),
      description:
        `Vault at ${address} is cluster-internal: reached at ${local} through a port-forward via the apiserver of kube-context "${context}" ` +
        `to Pod ${service.namespace}/${backend.pod} port ${backend.targetPort}.`,
    }
  }

  /** Stops every port-forward and the connections through them. */
  async close(): Promise<void> {
    this.#closed = true
    const forwards = await Promise.allSettled(this.#forwards.values())
    this.#forwards.clear()
    await Promise.all(
      forwards.map(async (result) => {
        if (result.status !== 'fulfilled') return
        const forward = result.value
        for (const { socket, ws } of forward.connections) {
          socket.destroy()
          ws?.terminate()
        }
        await new Promise<void>((resolve) => forward.server.close(() => resolve()))
      }),
    )
  }

  async #open(service: ClusterService, address: string): Promise<Forward> {
    const context = this.#config.getCurrentContext()
    const backend = await findBackend(this.#config, service, address)
    // one stream opened and closed before listening, so a forward that cannot work fails here with its reason,
    // not later as a reset connection inside the Vault client
    await openStream(this.#config, service, backend, address).then((ws) => ws.close())
    const server = createServer()
    const forward: Forward = { service, context, server, localPort: 0, backend, connections: new Set() }
    server.on('connection', (socket) => void this.#connect(forward, socket, address))
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()))
    forward.localPort = (server.address() as { port: number }).port
    this.#logger?.info({ context, namespace: service.namespace, service: service.service, pod: backend.pod, port: backend.targetPort, localPort: forward.localPort }, 'port-forward to Vault open')
    return forward
  }

  async #connect(forward: Forward, socket: Socket, address: string): Promise<void> {
    const connection: { socket: Socket; ws?: WebSocket } = { socket }
    forward.connections.add(connection)
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      forward.connections.delete(connection)
      connection.ws?.close()
    })
    try {
      connection.ws = await this.#stream(forward, socket, address)
      if (socket.destroyed) connection.ws.close()
      connection.ws.on('close', () => socket.end())
    } catch (error) {
      this.#logger?.warn({ namespace: forward.service.namespace, service: forward.service.service, err: (error as Error).message }, 'port-forward connection failed')
      socket.destroy()
    }
  }

  /** A stream to the current Pod; if that fails (the Pod was replaced), the Service is resolved again once. */
  async #stream(forward: Forward, socket: Socket, address: string): Promise<WebSocket> {
    const { namespace, service } = forward.service
    const onStreamError = (text: string) => this.#logger?.warn({ namespace, service, pod: forward.backend.pod, err: text }, 'port-forward stream failed in the cluster')
    try {
      return await openStream(this.#config, forward.service, forward.backend, address, socket, onStreamError)
    } catch {
      forward.backend = await findBackend(this.#config, forward.service, address)
      return openStream(this.#config, forward.service, forward.backend, address, socket, onStreamError)
    }
  }
}

/** A ready Pod behind the Service and the container port its Service port targets, from EndpointSlices or Endpoints. */
async function findBackend(config: KubeConfig, target: ClusterService, address: string): Promise<Backend> {
  const context = config.getCurrentContext()
  const name = `Service ${target.namespace}/${target.service}`
  const mapHint = `or map ${address} in settings (addressMap) to an address this laptop can reach`
  let service: V1Service
  try {
    service = await config.makeApiClient(CoreV1Api).readNamespacedService({ name: target.service, namespace: target.namespace })
  } catch (error) {
    const code = (error as { code?: number }).code
    if (code === 404) throw new VaultAddressError('service-not-found', `${name} (from the Vault address ${address}) does not exist in kube-context "${context}". Fix the address, ${mapHint}.`, { cause: error })
    throw new VaultAddressError('service-not-found', `${name} (from the Vault address ${address}) could not be read in kube-context "${context}" (${describeError(error)}). Fix that, ${mapHint}.`, { cause: error })
  }
  const ports = service.spec?.ports ?? []
  const servicePort = ports.find((port) => port.port === target.port)
  if (!servicePort) {
    const has = ports.map((port) => port.port).join(', ') || 'none'
    throw new VaultAddressError('no-such-port', `${name} has no port ${target.port} (it has ${has}). Fix the port in the Vault address ${address}, ${mapHint}.`)
  }
  const { ready, notReady } = await endpoints(config, target, servicePort)
  const chosen = ready[0]
  if (!chosen) {
    const seen = notReady.length ? ` (${notReady.length} not ready: ${notReady.slice(0, 3).join(', ')})` : ''
    throw new VaultAddressError('no-ready-pod', `No ready Pod behind ${name} port ${target.port} in kube-context "${context}"${seen}. Start Vault, ${mapHint}.`)
  }
  return chosen
}

async function endpoints(config: KubeConfig, target: ClusterService, servicePort: V1ServicePort): Promise<{ ready: Backend[]; notReady: string[] }> {
  const ready: Backend[] = []
  const notReady: string[] = []
  const fixedPort = typeof servicePort.targetPort === 'number' ? servicePort.targetPort : servicePort.targetPort === undefined ? servicePort.port : undefined
  const samePortName = (name: string | undefined) => (name ?? '') === (servicePort.name ?? '')
  try {
    const slices = await config.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: target.namespace, labelSelector: `kubernetes.io/service-name=${target.service}` })
    for (const slice of slices.items) {
      // a named targetPort is resolved per Pod; the slice carries the number
      const targetPort = slice.ports?.find((port) => samePortName(port.name))?.port ?? fixedPort
      for (const endpoint of slice.endpoints ?? []) {
        const pod = endpoint.targetRef?.kind === 'Pod' ? endpoint.targetRef.name : undefined
        if (!pod || targetPort === undefined) continue
        // an unset ready condition means ready (discovery.k8s.io/v1)
        if (endpoint.conditions?.ready === false) notReady.push(pod)
        else ready.push({ pod, targetPort })
      }
    }
    return { ready, notReady }
  } catch (error) {
    // older clusters, or a role that may read Endpoints but not EndpointSlices
    const code = (error as { code?: number }).code
    if (code !== 403 && code !== 404) throw error
  }
  const legacy = await config
    .makeApiClient(CoreV1Api)
    .readNamespacedEndpoints({ name: target.service, namespace: target.namespace })
    .catch((error: unknown) => {
      if ((error as { code?: number }).code === 404) return { subsets: [] }
      throw error
    })
  for (const subset of legacy.subsets ?? []) {
    const targetPort = subset.ports?.find((port) => samePortName(port.name))?.port ?? fixedPort
    if (targetPort === undefined) continue
    for (const address of subset.addresses ?? []) if (address.targetRef?.kind === 'Pod' && address.targetRef.name) ready.push({ pod: address.targetRef.name, targetPort })
    for (const address of subset.notReadyAddresses ?? []) if (address.targetRef?.name) notReady.push(address.targetRef.name)
  }
  return { ready, notReady }
}

/**
 * One port-forward stream to the Pod, framed by client-node's PortForward. With a socket, the stream carries its
 * bytes; without one, it is a probe. The WebSocket is opened here (not by client-node) to read the apiserver's
 * reason when it refuses: client-node only reports "Unexpected server response: 400".
 */
async function openStream(config: KubeConfig, service: ClusterService, backend: Backend, address: string, socket?: Socket, onStreamError?: (text: string) => void): Promise<WebSocket> {
  const errorStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      // the kubelet reports a failed dial on the error channel, e.g. "connection refused"; the channel's
      // first frame is only its port number, which client-node strips to nothing
      if (chunk.length > 0) {
        onStreamError?.(chunk.toString('utf8').slice(0, 500))
        socket?.destroy()
      }
      done()
    },
  })
  const sink = socket ?? new Writable({ write: (_chunk, _encoding, done) => done() })
  const source = socket ?? new PassThrough()
  const forwarder = new PortForward(config, true, { connect: (path, textHandler, binaryHandler) => connectWebSocket(config, path, textHandler, binaryHandler) })
  try {
    const ws = await forwarder.portForward(service.namespace, backend.pod, [backend.targetPort], sink, errorStream, source)
    return ws as WebSocket
  } catch (error) {
    const context = config.getCurrentContext()
    throw new VaultAddressError(
      'port-forward-failed',
      `Could not port-forward to Pod ${service.namespace}/${backend.pod} port ${backend.targetPort} (behind Service ${service.namespace}/${service.service}) ` +
        `through the apiserver of kube-context "${context}": ${describeError(error)}. ` +
        `Port-forwarding needs a running Pod on a node and "create" on pods/portforward; or map ${address} in settings (addressMap) to an address this laptop can reach.`,
      { cause: error },
    )
  }
}

class RefusedUpgrade extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message)
  }
}

/** What client-node's WebSocketHandler.connect does, plus the apiserver's Status message when it refuses. */
async function connectWebSocket(
  config: KubeConfig,
  path: string,
  textHandler: ((text: string) => boolean) | null,
  binaryHandler: ((stream: number, buff: Buffer) => boolean) | null,
): Promise<WebSocket> {
  const server = config.getCurrentCluster()?.server
  if (!server) throw new Error(`kube-context "${config.getCurrentContext()}" names no cluster with a server`)
  const options: WebSocket.ClientOptions = {}
  await config.applyToHTTPSOptions(options as never)
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(server.replace(/^http/, 'ws') + path, ['v4.channel.k8s.io'], options)
    let open = false
    ws.on('unexpected-response', (_request, response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        if (body.length < 4_000) body += chunk
      })
      response.on('end', () => {
        let said = body.slice(0, 300)
        try {
          said = (JSON.parse(body) as { message?: string }).message ?? said
        } catch {
          // not a Status: something in front of the apiserver answered
        }
        reject(new RefusedUpgrade(response.statusCode ?? 0, `the apiserver answered ${response.statusCode}: ${said}`))
        ws.terminate()
      })
    })
    ws.on('open', () => {
      open = true
      resolve(ws)
    })
    // after open, the connection's owner watches 'close'; errors before it fail the attempt
    ws.on('error', (error) => {
      if (!open) reject(error)
    })
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) {
        if (textHandler && !textHandler(data.toString('utf8'))) ws.close()
        return
      }
      if (binaryHandler && !binaryHandler(data.readUint8(0), data.subarray(1))) ws.close()
    })
  })
}

function describeError(error: unknown): string {
  if (error instanceof RefusedUpgrade) return error.message
  const code = (error as { code?: number | string }).code
  if (code === 403) return 'access denied (403)'
  if (typeof code === 'number') return `HTTP ${code}`
  return (error as Error).message
}
