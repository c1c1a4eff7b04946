// Bad input gets a clear condition, event and cause, and nothing else stops syncing: real OpenBao and kube-apiserver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_VERSION } from '../../main/engine/sync/api.ts'
import { resourceKey, type SyncEngine } from '../../main/engine/sync/sync-engine.ts'
import { lab, unique, VAULT_SERVERS, type VaultServer } from './helpers.ts'
import { adminApi, apply, createNamespace, ensureCrds, eventsFor, eventually, kubeAuthOn, readResource, readSecret, startEngine } from './sync-helpers.ts'

function suite(server: VaultServer): void {
  const { kubernetesAuth, kubernetesRole } = kubeAuthOn(server)
  let engine: SyncEngine
  let namespace: string
  let other: string
  let authMount: string
  const kv = unique('kv')

  const staticSecret = (name: string, spec: Record<string, unknown> = {}, ns = namespace) => ({
    apiVersion: API_VERSION,
    kind: 'VaultStaticSecret',
    metadata: { name, namespace: ns },
    spec: { type: 'kv-v2', mount: kv, path: 'app/config', vaultAuthRef: 'auth', destination: { name, create: true }, ...spec },
  })

  const vaultAuth = (name: string, ns: string, spec: Record<string, unknown> = {}) => ({
    apiVersion: API_VERSION,
    kind: 'VaultAuth',
    metadata: { name, namespace: ns },
    spec: { vaultConnectionRef: `${namespace}/conn`, method: 'kubernetes', mount: authMount, kubernetes: { role: 'app', serviceAccount: 'app', audiences: ['vault'] }, ...spec },
  })

  const failingRecord = (name: string) => eventually(async () => {
    const record = engine.record(resourceKey('VaultStaticSecret', namespace, name))
    return record && record.state !== 'pending' && record.state !== 'synced' ? record : undefined
  }, `${name} to be reported as failing`)

  beforeAll(async () => {
    await ensureCrds()
    authMount = await kubernetesAuth()
    namespace = await createNamespace(unique('faults'), 'app')
    other = await createNamespace(unique('faults-other'), 'app')
    await server.call('POST', `sys/mounts/${kv}`, { type: 'kv', options: { version: '2' } })
    await server.call('POST', `${kv}/data/app/config`, { data: { username: 'app', password: 'pw-1' } })
    await server.call('PUT', `sys/policies/acl/${kv}-read`, { policy: `path "${kv}/data/app/*" { capabilities = ["read"] }` })
    // a policy written as for KV v1: it misses the data/ segment
    await server.call('PUT', `sys/policies/acl/${kv}-no-data`, { policy: `path "${kv}/app/*" { capabilities = ["read"] }` })
    await kubernetesRole(authMount, 'app', 'app', namespace, [`${kv}-read`])
    await kubernetesRole(authMount, 'no-data', 'app', namespace, [`${kv}-no-data`])
    await kubernetesRole(authMount, 'other-sa', 'someone-else', namespace, [`${kv}-read`])
    await apply({ apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: 'conn', namespace }, spec: { address: server.address } })
    await apply(vaultAuth('auth', namespace))
    await apply(staticSecret('healthy'))
    engine = (await startEngine([namespace, other])).engine
    await eventually(() => readSecret(namespace, 'healthy'), 'the healthy resource to sync')
  })

  afterAll(async () => {
    await engine?.stop()
  })

  describe('a resource that cannot sync', () => {
    it('names a missing VaultAuth in its condition and event, and the others keep syncing', async () => {
      await apply(staticSecret('no-auth', { vaultAuthRef: 'missing' }))
      const record = await failingRecord('no-auth')
      expect(record.diagnosis?.cause).toMatch(/spec\.vaultAuthRef.*VaultAuth .*\/missing does not exist/)
      const events = await eventually(async () => (await eventsFor(namespace, 'no-auth')).find((event) => event.type === 'Warning'), 'a Warning event')
      expect(events).toMatchObject({ reason: 'VaultClientConfigError', message: expect.stringContaining('spec.vaultAuthRef') })
      const status = await eventually(async () => (await readResource<{ status?: { conditions?: { type: string; status: string; message: string }[] } }>('VaultStaticSecret', namespace, 'no-auth')).status?.conditions, 'conditions')
      expect(status.find((condition) => condition.type === 'SecretSynced')).toMatchObject({ status: 'False', message: expect.stringContaining('spec.vaultAuthRef') })

      await server.call('POST', `${kv}/data/app/config`, { data: { username: 'app', password: 'pw-2' } })
      engine.syncNow(resourceKey('VaultStaticSecret', namespace, 'healthy'))
      await eventually(async () => (await readSecret(namespace, 'healthy'))?.password === 'pw-2', 'the healthy resource to keep syncing')
    })

    it('is refused when its namespace is outside the VaultAuth allowedNamespaces', async () => {
      await apply(vaultAuth('auth', other))
      await apply(staticSecret('elsewhere', { vaultAuthRef: `${namespace}/auth` }, other))
      const record = await eventually(async () => {
        const found = engine.record(resourceKey('VaultStaticSecret', other, 'elsewhere'))
        return found && found.state !== 'pending' ? found : undefined
      }, 'the refusal')
      expect(record.state).toBe('failing')
      expect(record.diagnosis?.cause).toContain(`does not allow namespace ${other}: add it to the VaultAuth's spec.allowedNamespaces`)
      expect(await readSecret(other, 'elsewhere')).toBeUndefined()
    })

    it('does not take over a Secret someone else owns unless overwrite is set, and leaves it as it was', async () => {
      await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'taken', namespace }, data: { mine: Buffer.from('keep me').toString('base64') } })
      await apply(staticSecret('taken'))
      const record = await failingRecord('taken')
      expect(record.state).toBe('invalid')
      expect(record.diagnosis?.cause).toContain(`Secret ${namespace}/taken exists and was not created by this VaultStaticSecret: set destination.overwrite to true`)
      expect(await readSecret(namespace, 'taken')).toEqual({ mine: 'keep me' })
    })

    it('explains a KV v2 policy that lacks the data/ segment', async () => {
      await apply(vaultAuth('no-data-auth', namespace, { kubernetes: { role: 'no-data', serviceAccount: 'app', audiences: ['vault'] } }))
      await apply(staticSecret('no-data', { vaultAuthRef: 'no-data-auth' }))
      const record = await failingRecord('no-data')
      expect(record.diagnosis).toMatchObject({ cause: `The policy grants read on "${kv}/app/config", but KV v2 reads go through "${kv}/data/app/config".` })
    })

    it('explains a role not bound to the ServiceAccount, a missing role and a missing ServiceAccount', async () => {
      await apply(vaultAuth('wrong-sa', namespace, { kubernetes: { role: 'other-sa', serviceAccount: 'app', audiences: ['vault'] } }))
      await apply(vaultAuth('no-role', namespace, { kubernetes: { role: 'nobody', serviceAccount: 'app', audiences: ['vault'] } }))
      await apply(vaultAuth('no-sa', namespace, { kubernetes: { role: 'app', serviceAccount: 'ghost', audiences: ['vault'] } }))
      await apply(staticSecret('wrong-sa', { vaultAuthRef: 'wrong-sa' }))
      await apply(staticSecret('no-role', { vaultAuthRef: 'no-role' }))
      await apply(staticSecret('no-sa', { vaultAuthRef: 'no-sa' }))
      expect((await failingRecord('wrong-sa')).diagnosis?.cause).toBe('The Vault role is not bound to this ServiceAccount.')
      expect((await failingRecord('no-role')).diagnosis?.cause).toMatch(/^The role named in the VaultAuth does not exist/)
      expect((await failingRecord('no-sa')).diagnosis?.cause).toMatch(new RegExp(`ServiceAccount ${namespace}/ghost does not exist`))
    })

    it('explains a Vault that cannot reach the apiserver for TokenReview', async () => {
      const mount = unique('kubernetes-dead')
      await server.call('POST', `sys/auth/${mount}`, { type: 'kubernetes' })
      await server.call('POST', `auth/${mount}/config`, { kubernetes_host: 'https://127.0.0.1:1', kubernetes_ca_cert: lab.kube.caCert, disable_local_ca_jwt: true })
      await kubernetesRole(mount, 'app', 'app', namespace, [`${kv}-read`])
      await apply(vaultAuth('dead-review', namespace, { mount }))
      await apply(staticSecret('dead-review', { vaultAuthRef: 'dead-review' }))
      expect((await failingRecord('dead-review')).diagnosis?.cause).toBe('Vault could not check the ServiceAccount token with the cluster (TokenReview failed).')
    })

    it('reports a template error with the template and position, and never the data', async () => {
      await apply(staticSecret('bad-template', { destination: { name: 'bad-template', create: true, transformation: { templates: { url: { text: '{{ .Secrets.password | nosuchfunction }}' } } } } }))
      const record = await failingRecord('bad-template')
      expect(record.state).toBe('invalid')
      expect(record.diagnosis?.cause).toMatch(/nosuchfunction/)
      expect(JSON.stringify(record)).not.toContain('pw-')
      const events = await eventsFor(namespace, 'bad-template')
      expect(events.map((event) => event.reason)).toContain('TransformationError')
      expect(JSON.stringify(events)).not.toContain('pw-')
    })
  })

  describe('a dry run', () => {
    it('shows the keys a transformation would write, with values masked, and writes nothing', async () => {
      const resource = staticSecret('dry', { destination: { name: 'dry', create: true, transformation: { excludeRaw: true, templates: { url: { text: 'postgres://{{ .Secrets.username }}:{{ .Secrets.password }}@db/app' } }, excludes: ['password'] } } })
      const metadata = { ...resource.metadata, uid: 'not-applied', generation: 1, resourceVersion: '' }
      const result = await engine.dryRun({ ...resource, metadata } as never)
      expect(result).toEqual({ ok: true, keys: expect.arrayContaining([{ key: 'url', bytes: 'postgres://app:pw-2@db/app'.length, masked: '••••••••' }, { key: 'username', bytes: 3, masked: '••••••••' }]) })
      expect(JSON.stringify(result)).not.toContain('pw-')
      expect(await readSecret(namespace, 'dry')).toBeUndefined()
      expect(await adminApi().get(`/apis/${API_VERSION}/namespaces/${namespace}/vaultstaticsecrets`).then((list) => JSON.stringify(list))).not.toContain('"dry"')
    })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
