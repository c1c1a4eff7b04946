// VSO's CRDs as Vault Tray installs them, on a real kube-apiserver: installing is idempotent and safe to run
// concurrently, and the apiserver enforces VSO's schema (defaults, enums, patterns, required fields), so manifests
// written for VSO behave as they would with VSO's own CRDs.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiextensionsV1Api, KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node'
import { loadAll } from 'js-yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundledCrdDir, FIELD_MANAGER, installCrds, readBundledCrds, type CrdInstallResult } from '../../main/engine/kube/crds.ts'
import { KubeApi } from '../../main/engine/kube/api.ts'
import { VSO_CRDS } from '../../main/engine/kube/vso-detect.ts'
import { startEtcd, startKubeApiserver } from '../lab/servers/kube.ts'
import { kubeAdmin, lab, unique } from './helpers.ts'

const GROUP_VERSION = 'secrets.hashicorp.com/v1beta1'
const PLURAL: Record<string, string> = Object.fromEntries(readBundledCrds().map((crd) => [crd.spec.names.kind, crd.spec.names.plural]))

interface Resource {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; [key: string]: unknown }
  spec?: Record<string, unknown>
}

const byName = (results: CrdInstallResult[]) => Object.fromEntries(results.map((result) => [result.name, result.action]))
const allAre = (action: string) => Object.fromEntries(VSO_CRDS.map((name) => [name, action]))

describe("VSO's CRDs on the shared lab apiserver", () => {
  const { config } = kubeAdmin()
  const api = new KubeApi(config)
  const namespace = unique('crds')

  /** Creates a custom resource as `kubectl create --validate=strict` would: a field the schema lacks is an error, not pruned. */
  const create = (resource: Resource) =>
    api.request<Resource & { spec: Record<string, unknown> }>({
      method: 'POST',
      path: `/apis/${GROUP_VERSION}/namespaces/${namespace}/${PLURAL[resource.kind]}`,
      body: { ...resource, metadata: { ...resource.metadata, namespace } },
      query: { fieldValidation: 'Strict' },
    })
  const staticSecret = (spec: Record<string, unknown>): Resource => ({ apiVersion: GROUP_VERSION, kind: 'VaultStaticSecret', metadata: { name: unique('vss') }, spec })
  const dynamicSecret = (spec: Record<string, unknown>): Resource => ({ apiVersion: GROUP_VERSION, kind: 'VaultDynamicSecret', metadata: { name: unique('vds') }, spec })

  beforeAll(async () => {
    await api.create('/api/v1/namespaces', { metadata: { name: namespace } })
  })

  afterAll(async () => {
    // the namespace takes its custom resources with it; the CRDs stay, other test files use them
    await api.delete(`/api/v1/namespaces/${namespace}`).catch(() => {})
    api.close()
  })

  it('installs all seven, each Established, served as v1beta1 and Namespaced with a status subresource', async () => {
    const results = await installCrds(config)
    // another test file of this run may have installed them first
    expect(results.map((result) => result.name).sort()).toEqual([...VSO_CRDS].sort())
    for (const result of results) expect(['created', 'upgraded', 'unchanged']).toContain(result.action)

    const extensions = config.makeApiClient(ApiextensionsV1Api)
    for (const name of VSO_CRDS) {
      const crd = await extensions.readCustomResourceDefinition({ name })
      expect(crd.status?.conditions?.find((condition) => condition.type === 'Established')?.status, name).toBe('True')
      expect(crd.spec.scope).toBe('Namespaced')
      expect(crd.spec.versions.map((version) => [version.name, version.served, version.storage, version.subresources?.status])).toEqual([['v1beta1', true, true, {}]])
      expect(crd.spec.names.shortNames).toBeUndefined()
      expect(crd.metadata?.managedFields?.some((entry) => entry.manager === FIELD_MANAGER && entry.operation === 'Apply')).toBe(true)
    }
    const columns = async (name: string) => (await extensions.readCustomResourceDefinition({ name })).spec.versions[0]!.additionalPrinterColumns?.map((column) => column.name) ?? []
    expect(await columns('vaultstaticsecrets.secrets.hashicorp.com')).toEqual(['Synced', 'Healthy', 'Ready', 'Age'])
    expect(await columns('vaultpkisecrets.secrets.hashicorp.com')).toEqual(['Synced', 'Healthy', 'Ready', 'Age'])
    expect(await columns('vaultconnections.secrets.hashicorp.com')).toEqual(['Healthy', 'Ready', 'Age'])
    expect(await columns('secrettransformations.secrets.hashicorp.com')).toEqual(['Healthy', 'Ready', 'Age'])
    expect(await columns('vaultauthglobals.secrets.hashicorp.com')).toEqual([])
  })

  it('changes nothing when installed again, even by three installers at once', async () => {
    await installCrds(config)
    const extensions = config.makeApiClient(ApiextensionsV1Api)
    const generations = async () => Promise.all(VSO_CRDS.map(async (name) => (await extensions.readCustomResourceDefinition({ name })).metadata?.generation))
    const before = await generations()

    const runs = await Promise.all([installCrds(config), installCrds(config), installCrds(config)])
    for (const results of runs) expect(byName(results)).toEqual(allAre('unchanged'))
    expect(await generations()).toEqual(before)
  })

  it("applies VSO's defaults to what a manifest leaves out", async () => {
    const vss = await create(staticSecret({ type: 'kv-v2', mount: 'kv', path: 'app', destination: { name: 'app' } }))
    expect(vss.spec).toEqual({ type: 'kv-v2', mount: 'kv', path: 'app', hmacSecretData: true, destination: { name: 'app', create: false, overwrite: false } })

    const vds = await create(dynamicSecret({ mount: 'db', path: 'creds/app', destination: { name: 'db' } }))
    expect(vds.spec).toMatchObject({ renewalPercent: 67, destination: { create: false, overwrite: false } })

    const auth = await create({ apiVersion: GROUP_VERSION, kind: 'VaultAuth', metadata: { name: unique('auth') }, spec: { method: 'kubernetes', mount: 'kubernetes', kubernetes: { role: 'app', serviceAccount: 'default' } } })
    expect(auth.spec).toMatchObject({ kubernetes: { tokenExpirationSeconds: 600 } })

    const connection = await create({ apiVersion: GROUP_VERSION, kind: 'VaultConnection', metadata: { name: unique('conn') }, spec: { address: 'http://127.0.0.1:8200' } })
    // required in VSO's schema, yet never written by hand: the default fills it in first
    expect(connection.spec).toEqual({ address: 'http://127.0.0.1:8200', skipTLSVerify: false })

    const pki = await create({ apiVersion: GROUP_VERSION, kind: 'VaultPKISecret', metadata: { name: unique('pki') }, spec: { mount: 'pki', role: 'web', ttl: '30d', destination: { name: 'tls' } } })
    expect(pki.spec).toMatchObject({ ttl: '30d', destination: { create: false, overwrite: false } })
  })

  const minimalVss = { type: 'kv-v2', mount: 'kv', path: 'app', destination: { name: 'app' } }
  const minimalVds = { mount: 'db', path: 'creds/app', destination: { name: 'db' } }
  it.each<[string, Resource, RegExp]>([
    ['a KV type VSO does not know', staticSecret({ ...minimalVss, type: 'kv-v3' }), /spec\.type: Unsupported value: "kv-v3": supported values: "kv-v1", "kv-v2"/],
    ['a duration with a unit VSO does not know', staticSecret({ ...minimalVss, refreshAfter: '10x' }), /spec\.refreshAfter: Invalid value: "10x": spec\.refreshAfter in body should match '\^\(\[0-9\]\+/],
    ['a duration in days outside PKI', staticSecret({ ...minimalVss, refreshAfter: '1d' }), /spec\.refreshAfter: Invalid value: "1d"/],
    ['a secret without a destination', staticSecret({ type: 'kv-v2', mount: 'kv', path: 'app' }), /spec\.destination: Required value/],
    ['a destination without a name', staticSecret({ ...minimalVss, destination: { create: true } }), /spec\.destination\.name: Required value/],
    ['a negative KV version', staticSecret({ ...minimalVss, version: -1 }), /spec\.version: Invalid value: -1: spec\.version in body should be greater than or equal to 0/],
    ['a restart target of a kind VSO cannot restart', staticSecret({ ...minimalVss, rolloutRestartTargets: [{ kind: 'Job', name: 'app' }] }), /spec\.rolloutRestartTargets\[0\]\.kind: Unsupported value: "Job"/],
    ['a renewal at 95 % of the lease', dynamicSecret({ ...minimalVds, renewalPercent: 95 }), /spec\.renewalPercent: Invalid value: 95: spec\.renewalPercent in body should be less than or equal to 90/],
    ['a negative renewal percent', dynamicSecret({ ...minimalVds, renewalPercent: -1 }), /spec\.renewalPercent: Invalid value: -1/],
    ['an HTTP method VSO does not send', dynamicSecret({ ...minimalVds, requestHTTPMethod: 'DELETE' }), /spec\.requestHTTPMethod: Unsupported value: "DELETE"/],
    ['a dynamic secret without a path', dynamicSecret({ mount: 'db', destination: { name: 'db' } }), /spec\.path: Required value/],
    ['an auth method VSO does not have', { apiVersion: GROUP_VERSION, kind: 'VaultAuth', metadata: { name: 'token' }, spec: { method: 'token' } }, /spec\.method: Unsupported value: "token"/],
    ['a token shorter than VSO allows', { apiVersion: GROUP_VERSION, kind: 'VaultAuth', metadata: { name: 'short' }, spec: { method: 'kubernetes', kubernetes: { role: 'r', serviceAccount: 'sa', tokenExpirationSeconds: 300 } } }, /spec\.kubernetes\.tokenExpirationSeconds: Invalid value: 300: .* should be greater than or equal to 600/],
    ['appRole.secretIDPath, removed in VSO 1.5', { apiVersion: GROUP_VERSION, kind: 'VaultAuth', metadata: { name: 'approle' }, spec: { method: 'appRole', appRole: { roleId: 'r', secretIDPath: '/etc/secret-id' } } }, /unknown field "spec\.appRole\.secretIDPath"/],
    ['a merge strategy VSO does not have', { apiVersion: GROUP_VERSION, kind: 'VaultAuth', metadata: { name: 'merge' }, spec: { vaultAuthGlobalRef: { name: 'g', mergeStrategy: { headers: 'append' } } } }, /spec\.vaultAuthGlobalRef\.mergeStrategy\.headers: Unsupported value: "append"/],
    ['a connection without an address', { apiVersion: GROUP_VERSION, kind: 'VaultConnection', metadata: { name: 'none' }, spec: { skipTLSVerify: true } }, /spec\.address: Required value/],
    ['a PKI secret without a role', { apiVersion: GROUP_VERSION, kind: 'VaultPKISecret', metadata: { name: 'norole' }, spec: { mount: 'pki', destination: { name: 'tls' } } }, /spec\.role: Required value/],
    ['a PKI ttl in weeks', { apiVersion: GROUP_VERSION, kind: 'VaultPKISecret', metadata: { name: 'weeks' }, spec: { mount: 'pki', role: 'web', ttl: '2w', destination: { name: 'tls' } } }, /spec\.ttl: Invalid value: "2w"/],
    ['a template without text', { apiVersion: GROUP_VERSION, kind: 'SecretTransformation', metadata: { name: 'notext' }, spec: { templates: { url: { name: 'url' } } } }, /spec\.templates\.url\.text: Required value/],
  ])('rejects %s, naming the field', async (_what, resource, message) => {
    await expect(create(resource)).rejects.toThrow(message)
  })

  it('checks status against the schema too (the status subresource)', async () => {
    const vss = await create(staticSecret(minimalVss))
    const status = (body: unknown) => api.patch(`/apis/${GROUP_VERSION}/namespaces/${namespace}/vaultstaticsecrets/${vss.metadata.name}/status`, body)
    await expect(status({ status: { secretMAC: 'abc' } })).rejects.toThrow(/status\.lastGeneration: Required value/)
    await expect(status({ status: { lastGeneration: 1, conditions: [{ type: 'Ready', status: 'Maybe', reason: 'Ready', message: '', lastTransitionTime: new Date().toISOString() }] } })).rejects.toThrow(
      /status\.conditions\[0\]\.status: Unsupported value: "Maybe"/,
    )
    const written = await status({ status: { lastGeneration: 1, secretMAC: 'abc', vaultClientMeta: { cacheKey: 'kubernetes-0123456789abcdef012345' } } })
    expect(written).toMatchObject({ status: { lastGeneration: 1, secretMAC: 'abc' } })
  })

  // VSO's tutorial (static and dynamic secrets) and VSO's docs, as published; only metadata.namespace is replaced,
  // since the shared lab has other tests using the tutorial's own namespaces
  const PUBLISHED = `
apiVersion: secrets.hashicorp.com/v1beta1
kind: VaultConnection
metadata:
  name: vault-connection
  namespace: vault-secrets-operator-system
spec:
  address: http://vault.vault.svc.cluster.local:8200
---
apiVersion: secrets.hashicorp.com/v1beta1
kind: VaultAuth
metadata:
  name: static-auth
  namespace: app
spec:
  method: kubernetes
  mount: demo-auth-mount
  kubernetes:
    role: role1
    serviceAccount: demo-static-app
    audiences:
      - vault
---
apiVersion: secrets.hashicorp.com/v1beta1
kind: VaultStaticSecret
metadata:
  name: vault-kv-app
  namespace: app
spec:
  type: kv-v2

  # mount path
  mount: kvv2

  # path of the secret
  path: webapp/config

  # dest k8s secret
  destination:
    name: secretkv
    create: true

  # static secret refresh interval
  refreshAfter: 30s

  # Name of the CRD to authenticate to Vault
  vaultAuthRef: static-auth
---
apiVersion: secrets.hashicorp.com/v1beta1
kind: VaultDynamicSecret
metadata:
  name: vso-db-demo
  namespace: demo-ns
spec:
  # Mount path of the secrets backend
  mount: db

  # Path to the secret
  path: creds/dev-postgres

  # Where to store the secrets, VSO will create the secret
  destination:
    create: true
    name: vso-db-demo

  # Restart these pods when secrets rotated
  rolloutRestartTargets:
  - kind: Deployment
    name: vso-db-demo

  # Name of the CRD to authenticate to Vault
  vaultAuthRef: dynamic-auth
---
apiVersion: secrets.hashicorp.com/v1beta1
kind: VaultPKISecret
metadata:
  namespace: tenant-1
  name: vaultpkisecret-tls
spec:
  vaultAuthRef: vaultauth-sample
  namespace: tenant-1
  mount: pki
  role: default
  destination:
    create: true
    name: pki-tls
    type: kubernetes.io/tls
  commonName: localhost
  format: pem
  revoke: true
  clear: true
  expiryOffset: 15s
  ttl: 1m
---
apiVersion: secrets.hashicorp.com/v1beta1
kind: VaultStaticSecret
metadata:
  name: vault-static-secret-v2
  namespace: vso-example
spec:
  vaultAuthRef: vault-auth
  mount: secret
  type: kv-v2
  path: app
  version: 2
  refreshAfter: 1h
  destination:
    create: true
    name: static-secret2
  syncConfig:
    instantUpdates: true
---
apiVersion: secrets.hashicorp.com/v1beta1
kind: VaultAuthGlobal
metadata:
  name: default
  namespace: tenant-ns
spec:
  kubernetes:
    audiences:
      - vault
    namespace: demo-ns
    mount: demo-auth-mount
    role: auth-role
    serviceAccount: default
    tokenExpirationSeconds: 600
---
apiVersion: secrets.hashicorp.com/v1beta1
kind: VaultAuth
metadata:
  name: default
  namespace: tenant-ns
spec:
  vaultAuthGlobalRef:
    allowDefault: true
  kubernetes:
    role: other-role
---
apiVersion: secrets.hashicorp.com/v1beta1
kind: SecretTransformation
metadata:
  name: postgres-url
  namespace: app
spec:
  excludes:
    - .*
  sourceTemplates:
    - name: helpers
      text: '{{- define "creds" -}}{{ get .Secrets "username" }}:{{ get .Secrets "password" }}{{- end -}}'
  templates:
    url:
      text: 'postgresql://{{- template "creds" . -}}@postgres:5432/app'
---
apiVersion: secrets.hashicorp.com/v1beta1
kind: VaultDynamicSecret
metadata:
  name: app-db
  namespace: app
spec:
  mount: db
  path: creds/app
  renewalPercent: 50
  revoke: true
  syncConfig:
    instantUpdates: true
  destination:
    create: true
    name: app-db
    labels:
      team: payments
    transformation:
      excludeRaw: true
      templates:
        username:
          text: '{{ get .Secrets "username" }}'
      transformationRefs:
        - name: postgres-url
          templateRefs:
            - name: url
              keyOverride: DATABASE_URL
`

  it("accepts the tutorial's and VSO's docs' manifests as written, keeping every field", async () => {
    const manifests = loadAll(PUBLISHED) as Resource[]
    for (const manifest of manifests) {
      const created = await create(manifest)
      // nothing pruned: each field of the manifest comes back as written, with defaults added around it
      expect(created.spec, `${manifest.kind} ${manifest.metadata.name}`).toMatchObject(manifest.spec ?? {})
    }
    const created = await api.get<{ items: { kind: string; metadata: { name: string } }[] }>(`/apis/${GROUP_VERSION}/namespaces/${namespace}/vaultstaticsecrets`)
    expect(created.items.map((item) => item.metadata.name)).toEqual(expect.arrayContaining(['vault-kv-app', 'vault-static-secret-v2']))
  })
})

describe('installing on a cluster of its own', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'vault-tray-crds-'))
  const signal = new AbortController().signal
  let etcd: Awaited<ReturnType<typeof startEtcd>>
  let apiserver: Awaited<ReturnType<typeof startKubeApiserver>>
  let config: KubeConfig
  let api: KubeApi
  let extensions: ApiextensionsV1Api

  beforeAll(async () => {
    etcd = await startEtcd(lab.binaries.etcd, runDir, 30_000, signal)
    apiserver = await startKubeApiserver(lab.binaries.kubeApiserver, etcd.clientUrl, runDir, 90_000, signal)
    config = new KubeConfig()
    config.loadFromFile(apiserver.info.kubeconfig)
    api = new KubeApi(config)
    extensions = config.makeApiClient(ApiextensionsV1Api)
  }, 120_000)

  afterAll(async () => {
    api?.close()
    await apiserver?.server.stop()
    await etcd?.server.stop()
    rmSync(runDir, { recursive: true, force: true })
  })

  const removeCrd = async (name: string) => {
    await extensions.deleteCustomResourceDefinition({ name })
    await expect.poll(() => extensions.readCustomResourceDefinition({ name }).then(() => 'present', (error: { code?: number }) => (error.code === 404 ? 'gone' : 'unknown')), { timeout: 20_000 }).toBe('gone')
  }
  /** A CRD as another tool would write it: plain create, its own field manager, no Vault Tray label. */
  const createForeign = async (crd: object, manager: string) => api.request({ method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: crd, query: { fieldManager: manager } })
  const bundled = (kind: string) => {
    const { file: _file, ...crd } = readBundledCrds().find((candidate) => candidate.spec.names.kind === kind)!
    return crd
  }

  it('creates each CRD exactly once when two installers race on an empty cluster', async () => {
    const [first, second] = await Promise.all([installCrds(config), installCrds(config)])
    for (const name of VSO_CRDS) {
      const actions = [byName(first!)[name], byName(second!)[name]].sort()
      expect(actions, name).toEqual(['created', 'unchanged'])
    }
    // usable at once: a custom resource can be created as soon as installCrds returns
    await api.create('/api/v1/namespaces', { metadata: { name: 'app' } })
    await api.create(`/apis/${GROUP_VERSION}/namespaces/app/vaultconnections`, { apiVersion: GROUP_VERSION, kind: 'VaultConnection', metadata: { name: 'default' }, spec: { address: 'http://vault:8200' } })
  })

  it('upgrades only the CRD whose bundled manifest changed', async () => {
    const dir = join(runDir, 'crds-next')
    cpSync(bundledCrdDir(), dir, { recursive: true })
    const file = join(dir, 'secrets.hashicorp.com_vaultconnections.yaml')
    writeFileSync(file, readFileSync(file, 'utf8').replace('description: How to reach a Vault server.', 'description: How to reach a Vault server (next release).'))

    expect(byName(await installCrds(config, { dir }))).toEqual({ ...allAre('unchanged'), 'vaultconnections.secrets.hashicorp.com': 'upgraded' })
    const upgraded = await extensions.readCustomResourceDefinition({ name: 'vaultconnections.secrets.hashicorp.com' })
    expect(upgraded.spec.versions[0]!.schema?.openAPIV3Schema?.description).toBe('How to reach a Vault server (next release).')
    // and back, as a downgrade would
    expect(byName(await installCrds(config))).toEqual({ ...allAre('unchanged'), 'vaultconnections.secrets.hashicorp.com': 'upgraded' })
    // existing custom resources survive an upgrade
    expect(await api.get(`/apis/${GROUP_VERSION}/namespaces/app/vaultconnections/default`)).toMatchObject({ spec: { address: 'http://vault:8200', skipTLSVerify: false } })
  })

  it("keeps a CRD another installer manages (VSO's Helm chart), and replaces it only when told to take over", async () => {
    const name = 'vaultauthglobals.secrets.hashicorp.com'
    await removeCrd(name)
    const { labels: _labels, ...metadata } = bundled('VaultAuthGlobal').metadata
    await createForeign({ ...bundled('VaultAuthGlobal'), metadata }, 'helm')
    await expect.poll(async () => (await extensions.readCustomResourceDefinition({ name })).status?.conditions?.find((condition) => condition.type === 'Established')?.status).toBe('True')

    const kept = (await installCrds(config)).find((result) => result.name === name)
    expect(kept).toEqual({ name, kind: 'VaultAuthGlobal', action: 'kept', detail: expect.stringContaining('installed by helm, not Vault Tray') })
    const untouched = await extensions.readCustomResourceDefinition({ name })
    expect(untouched.metadata?.labels).toBeUndefined()
    expect(untouched.metadata?.managedFields?.map((entry) => entry.manager)).not.toContain(FIELD_MANAGER)

    const taken = (await installCrds(config, { takeOver: true })).find((result) => result.name === name)
    expect(taken?.action).toBe('upgraded')
    const owned = await extensions.readCustomResourceDefinition({ name })
    expect(owned.metadata?.labels).toEqual({ 'app.kubernetes.io/managed-by': 'vault-tray' })
    expect(owned.metadata?.managedFields?.map((entry) => entry.manager)).toContain(FIELD_MANAGER)
    // from now on it is Vault Tray's: no takeOver needed
    expect(byName(await installCrds(config))[name]).toBe('unchanged')
  })

  it('fails at once, naming the CRD and the clash, when another CRD holds its names', async () => {
    const name = 'secrettransformations.secrets.hashicorp.com'
    await removeCrd(name)
    const impostor: V1CustomResourceDefinition = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'impostors.secrets.hashicorp.com' },
      spec: {
        group: 'secrets.hashicorp.com',
        scope: 'Namespaced',
        names: { kind: 'SecretTransformation', listKind: 'ImpostorList', plural: 'impostors', singular: 'impostor' },
        versions: [{ name: 'v1beta1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
      },
    }
    await createForeign(impostor, 'someone-else')
    await expect.poll(async () => (await extensions.readCustomResourceDefinition({ name: 'impostors.secrets.hashicorp.com' })).status?.conditions?.find((condition) => condition.type === 'Established')?.status).toBe('True')

    const started = Date.now()
    await expect(installCrds(config, { timeoutMs: 20_000 })).rejects.toThrow(new RegExp(`^CRD ${name.replaceAll('.', '\\.')} in kube-context "lab" cannot be served: KindConflict: "SecretTransformation" is already in use\\. Another CRD of group secrets\\.hashicorp\\.com claims the same names`))
    expect(Date.now() - started).toBeLessThan(10_000)

    await removeCrd('impostors.secrets.hashicorp.com')
    // the naming controller looks again once the clash is gone
    await expect.poll(async () => byName(await installCrds(config, { timeoutMs: 5_000 }).catch(() => []))[name], { timeout: 30_000, interval: 500 }).toBe('unchanged')
  })
})

describe('the bundled manifests', () => {
  it('are the seven VSO 1.6 kinds, named as VSO names its files', () => {
    const crds = readBundledCrds()
    expect(crds.map((crd) => crd.metadata.name).sort()).toEqual([...VSO_CRDS].sort())
    for (const crd of crds) expect(crd.file.endsWith(`secrets.hashicorp.com_${crd.spec.names.plural}.yaml`)).toBe(true)
  })

  it('fail with the file named when one is not a CRD', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-tray-crds-bad-'))
    try {
      writeFileSync(join(dir, 'broken.yaml'), 'apiVersion: v1\nkind: ConfigMap\n')
      expect(() => readBundledCrds(dir)).toThrow(`${join(dir, 'broken.yaml')} is not an apiextensions.k8s.io/v1 CustomResourceDefinition`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
