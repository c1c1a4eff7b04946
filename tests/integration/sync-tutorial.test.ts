// The VSO tutorial's static and dynamic examples, end to end, on each real server (OpenBao, then HashiCorp Vault),
// with the real kube-apiserver and PostgreSQL. The tutorial's names are fixed, so the two runs take turns in the one
// cluster: each starts from the tutorial's beginning and removes what it applied when it ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dynamicPolicy, exampleDeployment, staticPolicy, TUTORIAL, vaultAuth, vaultConnection, vaultDynamicSecret, vaultStaticSecret } from '../../main/engine/lab/tutorial.ts'
import { isNotFound } from '../../main/engine/kube/api.ts'
import { resourceKey, type SyncEngine } from '../../main/engine/sync/sync-engine.ts'
import { canLogIn, lab, VAULT_SERVERS, type VaultServer } from './helpers.ts'
import { adminApi, apply, createNamespace, ensureCrds, eventsFor, eventually, kubeAuthOn, readResource, readSecret, resourcePath, startEngine } from './sync-helpers.ts'

const { static: stat, dynamic } = TUTORIAL

/** What the tutorial applies to the cluster, removed after each server's run (no finalizers: deletion is at once). */
async function removeTutorialObjects(): Promise<void> {
  const api = adminApi()
  const paths = [
    resourcePath('VaultStaticSecret', stat.namespace, stat.secret),
    resourcePath('VaultDynamicSecret', dynamic.namespace, dynamic.secret),
    resourcePath('VaultAuth', stat.namespace, stat.auth),
    resourcePath('VaultAuth', dynamic.namespace, dynamic.auth),
    resourcePath('VaultConnection', TUTORIAL.vaultNamespace, TUTORIAL.connection),
    `/api/v1/namespaces/${stat.namespace}/secrets/${stat.destination}`,
    `/api/v1/namespaces/${dynamic.namespace}/secrets/${dynamic.destination}`,
    `/apis/apps/v1/namespaces/${dynamic.namespace}/deployments/${dynamic.deployment}`,
    // the events too, so that the next run sees only its own
    `/api/v1/namespaces/${stat.namespace}/events`,
    `/api/v1/namespaces/${dynamic.namespace}/events`,
  ]
  for (const path of paths)
    await api.delete(path).catch((error: unknown) => {
      if (!isNotFound(error)) throw error
    })
  api.close()
}

function suite(server: VaultServer): void {
  const { kubernetesAuth, kubernetesRole } = kubeAuthOn(server)
  let engine: SyncEngine

  beforeAll(async () => {
    await ensureCrds()
    await kubernetesAuth(TUTORIAL.authMount, TUTORIAL.vaultNamespace)

    // static: KV v2, policy, role, namespace and ServiceAccount
    await server.call('POST', `sys/mounts/${stat.kvMount}`, { type: 'kv', options: { version: '2' } })
    await server.call('POST', `${stat.kvMount}/data/${stat.kvPath}`, { data: { username: 'static-user', password: 'static-password' } })
    await server.call('PUT', `sys/policies/acl/${stat.policy}`, { policy: staticPolicy })
    await kubernetesRole(TUTORIAL.authMount, stat.role, stat.serviceAccount, stat.namespace, [stat.policy])
    await createNamespace(stat.namespace, stat.serviceAccount)

    // dynamic: database engine on the lab's PostgreSQL, policy, role, namespace, ServiceAccount and the app
    await server.call('POST', `sys/mounts/${dynamic.databaseMount}`, { type: 'database' })
    await server.call('POST', `${dynamic.databaseMount}/config/${dynamic.databaseConnection}`, {
      plugin_name: 'postgresql-database-plugin',
      connection_url: `postgresql://{{username}}:{{password}}@${lab.postgres.host}:${lab.postgres.port}/postgres?sslmode=disable`,
      username: lab.postgres.user,
      password: lab.postgres.password,
      allowed_roles: [dynamic.databaseRole],
    })
    await server.call('POST', `${dynamic.databaseMount}/roles/${dynamic.databaseRole}`, {
      db_name: dynamic.databaseConnection,
      creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`],
      default_ttl: '1h',
      max_ttl: '24h',
    })
    await server.call('PUT', `sys/policies/acl/${dynamic.policy}`, { policy: dynamicPolicy })
    await kubernetesRole(TUTORIAL.authMount, dynamic.role, dynamic.serviceAccount, dynamic.namespace, [dynamic.policy])
    await createNamespace(dynamic.namespace, dynamic.serviceAccount)
    await apply(exampleDeployment())

    await apply(vaultConnection(server.address))
    engine = (await startEngine([TUTORIAL.vaultNamespace, stat.namespace, dynamic.namespace])).engine
  })

  afterAll(async () => {
    await engine?.stop()
    await removeTutorialObjects()
  })

  describe('the tutorial, static secret', () => {
    it('syncs static/exampleapp/creds into vso-static-creds-from-vault, owned and labelled as VSO does', async () => {
      await apply(vaultAuth('static'))
      await apply(vaultStaticSecret())
      const data = await eventually(() => readSecret(stat.namespace, stat.destination), 'the static destination Secret')
      expect(data).toMatchObject({ username: 'static-user', password: 'static-password' })
      expect(JSON.parse(data._raw!)).toMatchObject({ data: { username: 'static-user' }, metadata: { version: 1 } })

      const secret = await adminApi().get<{ metadata: { labels: Record<string, string>; ownerReferences: { kind: string; name: string; uid: string; controller?: boolean }[] } }>(`/api/v1/namespaces/${stat.namespace}/secrets/${stat.destination}`)
      const owner = await readResource<{ metadata: { uid: string }; status: { lastGeneration: number; secretMAC: string; conditions: { type: string; status: string }[] } }>('VaultStaticSecret', stat.namespace, stat.secret)
      expect(secret.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'hashicorp-vso', 'secrets.hashicorp.com/vso-ownerRefUID': owner.metadata.uid })
      expect(secret.metadata.ownerReferences).toEqual([{ apiVersion: 'secrets.hashicorp.com/v1beta1', kind: 'VaultStaticSecret', name: stat.secret, uid: owner.metadata.uid }])
      await eventually(async () => (await readResource<typeof owner>('VaultStaticSecret', stat.namespace, stat.secret)).status?.secretMAC, 'status.secretMAC')
      const status = (await readResource<typeof owner>('VaultStaticSecret', stat.namespace, stat.secret)).status
      expect(status.lastGeneration).toBe(1)
      expect(status.conditions.find((condition) => condition.type === 'SecretSynced')?.status).toBe('True')
      await eventually(async () => (await eventsFor(stat.namespace, stat.secret, 'VaultStaticSecret')).some((event) => event.reason === 'SecretSynced'), 'the SecretSynced event')
    })

    it('follows a change in Vault, and repairs a Secret edited by hand', async () => {
      await server.call('POST', `${stat.kvMount}/data/${stat.kvPath}`, { data: { username: 'static-user', password: 'rotated-password' } })
      engine.syncNow(resourceKey('VaultStaticSecret', stat.namespace, stat.secret))
      await eventually(async () => (await readSecret(stat.namespace, stat.destination))?.password === 'rotated-password', 'the new password in the Secret')

      await adminApi().patch(`/api/v1/namespaces/${stat.namespace}/secrets/${stat.destination}`, { data: { password: Buffer.from('typed-by-hand').toString('base64') } })
      await eventually(async () => (await readSecret(stat.namespace, stat.destination))?.password === 'rotated-password', 'the hand edit repaired')
      // the record is published once the status and event of the repair are written, just after the Secret
      const record = await eventually(async () => engine.record(resourceKey('VaultStaticSecret', stat.namespace, stat.secret))?.drift && engine.record(resourceKey('VaultStaticSecret', stat.namespace, stat.secret)), 'the repair on record')
      expect(record).toMatchObject({ state: 'synced', drift: true, message: 'repaired drift' })
    })
  })

  describe('the tutorial, dynamic secret', () => {
    it('syncs database credentials into vso-dynamic-creds-from-vault that log in to PostgreSQL', async () => {
      await apply(vaultAuth('dynamic'))
      await apply(vaultDynamicSecret())
      const data = await eventually(() => readSecret(dynamic.namespace, dynamic.destination), 'the dynamic destination Secret')
      expect(await canLogIn(data)).toBe(true)
      const { status } = await eventually(async () => {
        const found = await readResource<{ status?: { secretLease: { id: string; duration: number; renewable: boolean }; lastRenewalTime: number } }>('VaultDynamicSecret', dynamic.namespace, dynamic.secret)
        return found.status?.secretLease.id ? found : undefined
      }, 'status.secretLease')
      expect(status!.secretLease).toMatchObject({ duration: 3600, renewable: true })
      expect(status!.secretLease.id).toMatch(new RegExp(`^${dynamic.databaseMount}/creds/${dynamic.databaseRole}/`))
    })

    it('rotates on request: new credentials, and the Deployment restarted the way kubectl rollout restart does', async () => {
      const before = (await readSecret(dynamic.namespace, dynamic.destination))!
      engine.syncNow(resourceKey('VaultDynamicSecret', dynamic.namespace, dynamic.secret))
      const after = await eventually(async () => {
        const data = await readSecret(dynamic.namespace, dynamic.destination)
        return data && data.username !== before.username ? data : undefined
      }, 'new credentials')
      expect(await canLogIn(after)).toBe(true)
      const deployment = await eventually(async () => {
        const found = await adminApi().get<{ spec: { template: { metadata: { annotations?: Record<string, string> } } } }>(`/apis/apps/v1/namespaces/${dynamic.namespace}/deployments/${dynamic.deployment}`)
        return found.spec.template.metadata.annotations?.['vso.secrets.hashicorp.com/restartedAt'] ? found : undefined
      }, 'the restart annotation')
      const restartedAt = Date.parse(deployment.spec.template.metadata.annotations!['vso.secrets.hashicorp.com/restartedAt']!)
      expect(Math.abs(Date.now() - restartedAt)).toBeLessThan(60_000)
      // the events follow the restart and the status write
      const expected = ['SecretSynced', 'SecretRotated', 'RolloutRestartTriggered']
      await eventually(async () => {
        const reasons = (await eventsFor(dynamic.namespace, dynamic.secret, 'VaultDynamicSecret')).map((event) => event.reason)
        return expected.every((reason) => reasons.includes(reason))
      }, `events ${expected.join(', ')}`)
    })
  })

  describe('metrics', () => {
    it('serves VSO-named metrics on loopback, with no secret value in them', async () => {
      const { serveMetrics } = await import('../../main/engine/telemetry/metrics-server.ts')
      const server = await serveMetrics(engine.registry, 0)
      try {
        expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
        const text = await (await fetch(server.url)).text()
        expect(text).toMatch(/^vso_client_operations_total\{operation="read",vault_connection="vault\/vault-connection"\} [1-9]/m)
        expect(text).toMatch(new RegExp(`^controller_resource_status\\{controller="vaultstaticsecret",namespace="${stat.namespace}",name="${stat.secret}"\\} 1$`, 'm'))
        expect(text).toMatch(new RegExp(`^vault_tray_sync_secrets\\{namespace="${dynamic.namespace}",kind="VaultDynamicSecret"\\} 1$`, 'm'))
        expect(text).toMatch(/^vault_tray_auth_methods\{method="kubernetes"\} 2$/m)
        expect(text).toMatch(/^controller_runtime_reconcile_total\{controller="vaultdynamicsecret",result="requeue_after"\} [1-9]/m)
        const values = [...Object.values((await readSecret(stat.namespace, stat.destination))!), ...Object.values((await readSecret(dynamic.namespace, dynamic.destination))!)]
        for (const value of values) expect(text).not.toContain(value)
      } finally {
        await server.close()
      }
    })
  })
}

for (const server of VAULT_SERVERS) describe(server.name, () => suite(server))
