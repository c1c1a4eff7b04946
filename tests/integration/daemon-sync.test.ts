// `npm start -- --sync`: the daemon runs the sync engine on the kube-context and serves its metrics on loopback.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Engine } from '../../main/engine/engine.ts'
import { loadKubeConfig } from '../../main/engine/kube/contexts.ts'
import { API_VERSION } from '../../main/engine/sync/api.ts'
import { lab, unique, VAULT_SERVERS } from './helpers.ts'
import { apply, createNamespace, ensureCrds, eventually, kubeAuthOn, readSecret } from './sync-helpers.ts'

for (const server of VAULT_SERVERS) describe(`vault-tray daemon --sync on ${server.name}`, () => {
  it('syncs the namespace it is given, prints each resource state, and serves /metrics on 127.0.0.1', async () => {
    await ensureCrds()
    const { kubernetesAuth, kubernetesRole } = kubeAuthOn(server)
    const mount = await kubernetesAuth()
    const namespace = await createNamespace(unique('daemon'), 'app')
    const kv = unique('kv')
    await server.call('POST', `sys/mounts/${kv}`, { type: 'kv', options: { version: '2' } })
    await server.call('POST', `${kv}/data/app`, { data: { password: 'from-vault' } })
    await server.call('PUT', `sys/policies/acl/${kv}`, { policy: `path "${kv}/data/app" { capabilities = ["read"] }` })
    await kubernetesRole(mount, 'app', 'app', namespace, [kv])
    await apply({ apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: 'conn', namespace }, spec: { address: server.address } })
    await apply({ apiVersion: API_VERSION, kind: 'VaultAuth', metadata: { name: 'default', namespace }, spec: { vaultConnectionRef: 'conn', method: 'kubernetes', mount, kubernetes: { role: 'app', serviceAccount: 'app', audiences: ['vault'] } } })
    await apply({ apiVersion: API_VERSION, kind: 'VaultStaticSecret', metadata: { name: 'app', namespace }, spec: { type: 'kv-v2', mount: kv, path: 'app', vaultAuthRef: 'default', destination: { name: 'app', create: true } } })

    const daemon = spawn(process.execPath, ['--import', 'tsx', 'main/cli.ts', 'daemon', '--sync', '--namespace', namespace, '--mode', 'write', '--metrics-port', '0', '--interval', '60'], {
      env: { PATH: process.env.PATH, HOME: lab.runDir, VAULT_ADDR: server.address, KUBECONFIG: lab.kube.kubeconfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    daemon.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    try {
      await eventually(async () => (await readSecret(namespace, 'app'))?.password === 'from-vault', 'the daemon to sync the Secret')
      const url = await eventually(async () => /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(stdout)?.[1], 'the metrics address')
      await eventually(async () => stdout.includes(`sync   VaultStaticSecret/${namespace}/app  synced: synced`), 'the synced line')
      expect(stdout).toContain('sync   lab  syncing: mode set to write in settings')
      const metrics = await (await fetch(url)).text()
      expect(metrics).toMatch(new RegExp(`^vault_tray_sync_secrets\\{namespace="${namespace}",kind="VaultStaticSecret"\\} 1$`, 'm'))
      expect(metrics).not.toContain('from-vault')
      expect(stdout).not.toContain('from-vault')
    } finally {
      daemon.kill('SIGTERM')
      await once(daemon, 'exit')
    }
  })
})

describe('Engine.startSync', () => {
  it('switches kube-context without a restart: the old context stops syncing, the new one starts', async () => {
    await ensureCrds()
    const config = JSON.parse(readFileSync(lab.kube.kubeconfig, 'utf8')) as { contexts: { name: string; context: object }[] }
    config.contexts.push({ name: 'lab-copy', context: config.contexts[0]!.context })
    const file = join(lab.runDir, 'two-contexts.kubeconfig')
    writeFileSync(file, JSON.stringify(config), { mode: 0o600 })
    const namespace = await createNamespace(unique('switch'))
    const engine = new Engine({ vault: { address: lab.openbao.address, skipVerify: false }, kube: loadKubeConfig({ KUBECONFIG: file }), healthIntervalMs: 60_000 })
    const contexts: string[] = []
    engine.events.on('sync', (event) => event.kind === 'mode' && contexts.push(event.context))
    const first = await engine.startSync('lab', { namespaces: [namespace], mode: 'write' })
    expect(first.kube.context).toBe('lab')
    const second = await engine.startSync('lab-copy', { namespaces: [namespace], mode: 'write' })
    expect(second.kube.context).toBe('lab-copy')
    expect(engine.sync).toBe(second)
    expect(contexts).toEqual(['lab', 'lab-copy'])
    await apply({ apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: 'conn', namespace }, spec: { address: lab.openbao.address } })
    await eventually(async () => second.record(`VaultConnection/${namespace}/conn`)?.state === 'synced', 'the new context to reconcile')
    expect(first.record(`VaultConnection/${namespace}/conn`)).toBeUndefined()
    await engine.stopSync()
  })
})
