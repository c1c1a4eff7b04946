import { createServer as createHttpServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { KubeConfig } from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { clusterService, mappedAddress, VaultAddressResolver } from './vault-address.ts'

describe('clusterService', () => {
  it('recognises <service>.<namespace>.svc with or without a cluster domain', () => {
    expect(clusterService('http://vault.vault.svc:8200')).toEqual({ service: 'vault', namespace: 'vault', port: 8200, scheme: 'http', host: 'vault.vault.svc' })
    expect(clusterService('https://vault-active.secrets.svc.cluster.local:8200/')).toEqual({
      service: 'vault-active',
      namespace: 'secrets',
      port: 8200,
      scheme: 'https',
      host: 'vault-active.secrets.svc.cluster.local',
    })
    expect(clusterService('https://openbao.ops.svc.k8s.internal')).toMatchObject({ service: 'openbao', namespace: 'ops', port: 443 })
    expect(clusterService('http://Vault.Vault.SVC')).toMatchObject({ service: 'vault', namespace: 'vault', port: 80 })
  })

  it('leaves other hosts alone', () => {
    for (const address of ['https://vault.example.com:8200', 'http://127.0.0.1:8200', 'http://vault:8200', 'http://vault.vault:8200', 'http://svc.example.com', 'http://a.b.svcx']) {
      expect(clusterService(address), address).toBeUndefined()
    }
  })

  it('says what is wrong with an address that is not one', () => {
    expect(() => clusterService('vault.vault.svc:8200')).toThrow('The Vault address "vault.vault.svc:8200" must start with http:// or https://.')
    expect(() => clusterService('not a url')).toThrow(/is not a URL\. Write it as http\(s\):\/\/host:port/)
  })
})

describe('mappedAddress', () => {
  it('finds a mapping by the full address, with or without a trailing slash, or by host:port', () => {
    const addressMap = { 'http://vault.vault.svc:8200': 'http://127.0.0.1:18200', 'vault.other.svc.cluster.local:443': 'https://vault.dev.example' }
    expect(mappedAddress('http://vault.vault.svc:8200/', { addressMap })).toBe('http://127.0.0.1:18200')
    expect(mappedAddress('https://vault.other.svc.cluster.local', { addressMap })).toBe('https://vault.dev.example')
    expect(mappedAddress('http://vault.vault.svc:8201', { addressMap })).toBeUndefined()
    expect(mappedAddress('http://vault.vault.svc:8200', {})).toBeUndefined()
  })
})

describe('VaultAddressResolver without a cluster', () => {
  // nothing listens on port 1: these cases must not touch the apiserver at all
  const config = new KubeConfig()
  config.loadFromClusterAndUser({ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: false }, { name: 'u' })
  const resolver = new VaultAddressResolver(config)

  it('uses an address outside the cluster as is', async () => {
    expect(await resolver.resolveVaultAddress('https://vault.example.com:8200')).toEqual({
      address: 'https://vault.example.com:8200',
      how: 'direct',
      description: 'Vault at https://vault.example.com:8200 is reached directly.',
    })
  })

  it("uses the user's mapping, even for a cluster-internal address", async () => {
    expect(await resolver.resolveVaultAddress('http://vault.vault.svc:8200', { addressMap: { 'vault.vault.svc:8200': 'http://localhost:8200' } })).toEqual({
      address: 'http://localhost:8200',
      how: 'mapped',
      description: 'Vault at http://vault.vault.svc:8200 is reached at http://localhost:8200, as mapped in settings.',
    })
  })
})

describe('VaultAddressResolver through a stand-in apiserver', () => {
  // The lab's apiserver has no kubelet, so the forwarding half is checked against a loopback stand-in that speaks
  // the port-forward protocol of a kubelet behind an apiserver (v4.channel.k8s.io: a channel byte per frame, the
  // port number first on each channel), relaying to a loopback HTTP server in Vault's place.
  let vault: Server
  let apiserver: Server
  let sockets: WebSocketServer
  const upgrades: string[] = []

  beforeAll(async () => {
    vault = createHttpServer((request, response) => response.end(JSON.stringify({ path: request.url, sealed: false })))
    await new Promise<void>((resolve) => vault.listen(0, '127.0.0.1', resolve))
    const vaultPort = (vault.address() as AddressInfo).port
    apiserver = createHttpServer((request, response) => {
      const json = (body: unknown) => response.setHeader('content-type', 'application/json').end(JSON.stringify(body))
      if (request.url === '/api/v1/namespaces/vault/services/vault') {
        return json({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'vault', namespace: 'vault' }, spec: { ports: [{ name: 'http', port: 8200, targetPort: 'http' }] } })
      }
      if (request.url?.startsWith('/apis/discovery.k8s.io/v1/namespaces/vault/endpointslices?')) {
        const endpoints = [{ addresses: ['10.0.0.1'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'vault-0', namespace: 'vault' } }]
        return json({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSliceList', metadata: {}, items: [{ addressType: 'IPv4', metadata: { name: 'vault-x' }, ports: [{ name: 'http', port: vaultPort }], endpoints }] })
      }
      response.statusCode = 404
      json({ kind: 'Status', message: `${request.url} not found`, code: 404 })
    })
    sockets = new WebSocketServer({ server: apiserver, handleProtocols: (protocols) => (protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false) })
    sockets.on('connection', (ws, request) => {
      upgrades.push(`${request.url} ${request.headers.authorization}`)
      const port = Number(new URL(request.url!, 'http://x').searchParams.get('ports'))
      const prefix = Buffer.alloc(2)
      prefix.writeUInt16LE(port)
      ws.send(Buffer.concat([Buffer.from([0]), prefix]))
      ws.send(Buffer.concat([Buffer.from([1]), prefix]))
      const upstream = connect(port, '127.0.0.1')
      upstream.on('data', (data) => ws.send(Buffer.concat([Buffer.from([0]), data])))
      upstream.on('close', () => ws.close())
      upstream.on('error', () => ws.close())
      ws.on('message', (data: Buffer) => {
        if (data[0] === 0) upstream.write(data.subarray(1))
      })
      ws.on('close', () => upstream.end())
    })
    await new Promise<void>((resolve) => apiserver.listen(0, '127.0.0.1', resolve))
  })
  afterAll(async () => {
    sockets.close()
    await new Promise((resolve) => apiserver.close(resolve))
    await new Promise((resolve) => vault.close(resolve))
  })

  it('forwards a local port to the ready Pod behind the Service, one forward per Service, until closed', async () => {
    const config = new KubeConfig()
    // client-node speaks plain http only with skipTLSVerify
    config.loadFromClusterAndUser({ name: 'stand-in', server: `http://127.0.0.1:${(apiserver.address() as AddressInfo).port}`, skipTLSVerify: true }, { name: 'u', token: 'stand-in-token' })
    const resolver = new VaultAddressResolver(config)
    const resolved = await resolver.resolveVaultAddress('http://vault.vault.svc:8200')
    expect(resolved).toMatchObject({ how: 'port-forward', address: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) })
    expect(resolved.description).toBe(
      `Vault at http://vault.vault.svc:8200 is cluster-internal: reached at ${resolved.address} through a port-forward via the apiserver of kube-context "loaded-context" to Pod vault/vault-0 port ${(vault.address() as AddressInfo).port}.`,
    )
    const health = await fetch(`${resolved.address}/v1/sys/health`, { headers: { connection: 'close' } })
    expect(await health.json()).toEqual({ path: '/v1/sys/health', sealed: false })
    // the same Service again: the same forward
    expect((await resolver.resolveVaultAddress('http://vault.vault.svc.cluster.local:8200')).address).toBe(resolved.address)
    // a probe at open, then one stream per connection, each with the context's credentials
    expect(upgrades.length).toBeGreaterThanOrEqual(2)
    expect(new Set(upgrades)).toEqual(new Set([`/api/v1/namespaces/vault/pods/vault-0/portforward?ports=${(vault.address() as AddressInfo).port} Bearer stand-in-token`]))

    await resolver.close()
    await expect(fetch(`${resolved.address}/v1/sys/health`)).rejects.toThrow()
    await expect(resolver.resolveVaultAddress('http://vault.vault.svc:8200')).rejects.toThrow('The Vault address resolver is closed')
  })
})
