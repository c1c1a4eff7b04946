// kube-contexts against the lab's real kube-apiserver: exec credential plugins found through the login shell's
// PATH, permission preflight with SelfSubjectAccessReview, VSO detection, and the route to a cluster-internal Vault.
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import {
  ApiextensionsV1Api,
  AppsV1Api,
  AuthenticationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1PolicyRule,
} from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configForContext, listContexts, loadKubeConfig } from '../../main/engine/kube/contexts.ts'
import { kubectlResource, preflight, REQUIRED_PERMISSIONS, type Permission } from '../../main/engine/kube/preflight.ts'
import { requestServiceAccountToken } from '../../main/engine/kube/service-account-token.ts'
import { userShellPath, withUserPath } from '../../main/engine/kube/shell-path.ts'
import { VaultAddressError, VaultAddressResolver } from '../../main/engine/kube/vault-address.ts'
import { crdsInstalled, detectOperator, VSO_CRDS, VSO_LEADER_LEASE } from '../../main/engine/kube/vso-detect.ts'
import { kubeAdmin, lab, namespaceWithServiceAccounts, unique } from './helpers.ts'

const admin = kubeAdmin().config
const scratch = mkdtempSync(join(tmpdir(), 'kube-contexts-'))
// the lab is shared by the run: each namespace made here is deleted at the end (a standalone apiserver has no
// namespace controller, so objects that matter to other tests, a VSO Lease or Deployment, are deleted one by one)
const namespaces: string[] = []
async function namespace(...serviceAccounts: string[]): Promise<string> {
  const name = await namespaceWithServiceAccounts(...serviceAccounts)
  namespaces.push(name)
  return name
}
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true })
  const core = admin.makeApiClient(CoreV1Api)
  await Promise.all(namespaces.map((name) => core.deleteNamespace({ name }).catch(() => {})))
})

/** A kubeconfig file with one context on the lab's apiserver, for the given user entry. */
function kubeconfigFile(context: string, user: Record<string, unknown>): string {
  const file = join(scratch, `${context}.kubeconfig`)
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: `${context}-cluster`, cluster: { server: lab.kube.server, 'certificate-authority-data': Buffer.from(lab.kube.caCert).toString('base64') } }],
    users: [{ name: `${context}-user`, user }],
    contexts: [{ name: context, context: { cluster: `${context}-cluster`, user: `${context}-user` } }],
  }
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 })
  return file
}

/** Who the apiserver says we are: proves the credentials were used, unlike /version, which anyone may read. */
async function whoAmI(config: KubeConfig): Promise<string | undefined> {
  const review = await config.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} })
  return review.status?.userInfo?.username
}

describe('an exec credential plugin that only the login shell can find', () => {
  it('authenticates only when the PATH of the login shell is used', async () => {
    const home = join(scratch, 'home')
    const bin = join(home, 'plugins', 'bin')
    mkdirSync(bin, { recursive: true })
    writeFileSync(join(home, 'credential.json'), JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: lab.kube.adminToken } }), { mode: 0o600 })
    writeFileSync(join(bin, 'my-plugin'), `#!/bin/sh\nexec cat '${join(home, 'credential.json')}'\n`)
    chmodSync(join(bin, 'my-plugin'), 0o755)
    // as a version manager or Homebrew does in a real profile
    writeFileSync(join(home, '.bash_profile'), `echo "Last login: today"\nexport PATH="${bin}:$PATH"\n`)
    const file = kubeconfigFile('lab-exec', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'my-plugin', interactiveMode: 'Never' } })
    const config = configForContext(loadKubeConfig({ KUBECONFIG: file })!, 'lab-exec')

    // what a menu-launched app has: its own PATH, without the plugin's directory
    await expect(whoAmI(config)).rejects.toThrow(/spawn my-plugin ENOENT/)

    const bash = execFileSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim()
    const shellPath = await userShellPath({ HOME: home, SHELL: bash, PATH: '/usr/bin:/bin' })
    expect(shellPath.source).toBe('login-shell')
    expect(shellPath.path.split(delimiter)[0]).toBe(bin)
    expect(await whoAmI(withUserPath(config, shellPath.path))).toBe('lab-admin')
  })
})

// The sync engine's ServiceAccount may do only part of its job, in its namespace.
const grants: V1PolicyRule[] = [
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['secrets.hashicorp.com'], resources: ['vaultconnections', 'vaultauths', 'vaultauthglobals', 'vaultstaticsecrets', 'vaultdynamicsecrets', 'vaultpkisecrets', 'secrettransformations'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
]
let syncerNamespace: string
let syncerKubeconfig: string
const syncerConfig = () => configForContext(loadKubeConfig({ KUBECONFIG: syncerKubeconfig })!, 'syncer')

beforeAll(async () => {
  syncerNamespace = await namespace('syncer')
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api)
  await rbac.createNamespacedRole({ namespace: syncerNamespace, body: { metadata: { name: 'syncer' }, rules: grants } })
  await rbac.createNamespacedRoleBinding({
    namespace: syncerNamespace,
    body: { metadata: { name: 'syncer' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'syncer' }, subjects: [{ kind: 'ServiceAccount', name: 'syncer', namespace: syncerNamespace }] },
  })
  const token = await requestServiceAccountToken(admin, { namespace: syncerNamespace, serviceAccount: 'syncer', audiences: [lab.kube.serviceAccountIssuer] })
  syncerKubeconfig = kubeconfigFile('syncer', { token })
})

describe('preflight', () => {
  const granted = (permission: Permission) =>
    !permission.subresource && grants.some((rule) => rule.apiGroups!.includes(permission.group) && rule.resources!.includes(permission.resource) && rule.verbs.includes(permission.verb))
  const key = (permission: Permission) => `${permission.verb} ${kubectlResource(permission)}`

  it('finds every permission allowed for the lab admin, cluster-wide', async () => {
    const report = await preflight(admin)
    expect(report.checks).toHaveLength(REQUIRED_PERMISSIONS.length)
    expect(report.missing).toEqual([])
    expect(report.checks.every((check) => check.allowed && check.namespace === undefined)).toBe(true)
    expect(report.summary).toBe('kube-context "lab" has every permission the sync engine needs cluster-wide.')
  })

  it('lists exactly what a ServiceAccount with a partial Role lacks, switching context by picking its config', async () => {
    const namespace = syncerNamespace
    // two kubeconfig files merged, as KUBECONFIG=a:b; each context is its own client
    const loaded = loadKubeConfig({ KUBECONFIG: [lab.kube.kubeconfig, syncerKubeconfig].join(delimiter) })!
    expect(listContexts(loaded).map(({ name, current }) => ({ name, current }))).toEqual([
      { name: 'lab', current: true },
      { name: 'syncer', current: false },
    ])
    const syncer = configForContext(loaded, 'syncer')
    expect(await whoAmI(syncer)).toBe(`system:serviceaccount:${namespace}:syncer`)
    expect(await whoAmI(configForContext(loaded, 'lab'))).toBe('lab-admin')

    const expected = REQUIRED_PERMISSIONS.filter((permission) => !granted(permission)).map(key)
    // serviceaccounts/token 1, events 2, deployments 1, statefulsets 4, daemonsets 4, rollouts 3, the kinds' status 7 × 3
    expect(expected).toHaveLength(36)
    // RBAC reads Roles from an informer: a just-made binding takes a moment to count
    await expect.poll(async () => (await preflight(syncer, { namespace })).missing.map(key), { timeout: 10_000 }).toEqual(expected)

    const report = await preflight(syncer, { namespace })
    expect(report.missing.every((check) => check.namespace === namespace)).toBe(true)
    expect(report.problems).toContain(`cannot patch deployments.apps in namespace "${namespace}"`)
    expect(report.problems).toContain(`cannot create serviceaccounts/token in namespace "${namespace}"`)
    expect(report.problems).toContain(`cannot get, list, patch or watch statefulsets.apps in namespace "${namespace}"`)
    expect(report.problems).toContain(`cannot get, patch or update vaultstaticsecrets.secrets.hashicorp.com/status in namespace "${namespace}"`)
    expect(report.disabled.map((entry) => entry.feature)).toEqual(['kubernetes-auth', 'events', 'rollout-restart', 'argo-rollout-restart', 'status'])
    expect(report.summary).toMatch(new RegExp(`^kube-context "syncer" lacks 36 of ${REQUIRED_PERMISSIONS.length} permissions the sync engine needs in namespace "${namespace}": `))

    // its Role counts in its namespace only
    const clusterWide = await preflight(syncer)
    expect(clusterWide.missing).toHaveLength(REQUIRED_PERMISSIONS.length)
    expect(clusterWide.problems[0]).toBe('cannot get, create, update, patch, list, watch or delete secrets cluster-wide')
  })

  it('says it cannot ask when the credentials are rejected', async () => {
    const config = configForContext(loadKubeConfig({ KUBECONFIG: kubeconfigFile('stranger', { token: 'not-a-token' }) })!, 'stranger')
    await expect(preflight(config)).rejects.toThrow(`kube-context "stranger" (${lab.kube.server}) could not be asked what it may do (SelfSubjectAccessReview): it rejected the credentials (401). Log in again or fix the user of this context.`)
  })
})

describe('VSO in the cluster', () => {
  const leaseApi = () => admin.makeApiClient(CoordinationV1Api)
  const appsApi = () => admin.makeApiClient(AppsV1Api)

  /** client-node writes renewTime with milliseconds; a Lease's MicroTime wants microseconds, so this one is posted as JSON. */
  async function createLease(ns: string, holder: string, renewedAgoMs: number): Promise<void> {
    const microTime = new Date(Date.now() - renewedAgoMs).toISOString().replace(/Z$/, '000Z')
    await post(admin, `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`, {
      metadata: { name: VSO_LEADER_LEASE },
      spec: { holderIdentity: holder, leaseDurationSeconds: 15, acquireTime: microTime, renewTime: microTime, leaseTransitions: 0 },
    })
  }
  const deleteLease = (ns: string) => leaseApi().deleteNamespacedLease({ namespace: ns, name: VSO_LEADER_LEASE })

  it('is not running in a cluster without it', async () => {
    const found = await detectOperator(admin)
    expect(found).toEqual({ running: false, evidence: [`No leader Lease ${VSO_LEADER_LEASE} and no vault-secrets-operator-controller-manager Deployment in any namespace of kube-context "lab".`] })
  })

  it('runs with its Deployment and a fresh leader Lease; a stale Lease alone does not count', async () => {
    const ns = await namespace()
    const deployment = 'vault-secrets-operator-controller-manager'
    const labels = { 'control-plane': 'controller-manager' }
    await appsApi().createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: deployment, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'manager', image: 'hashicorp/vault-secrets-operator:0.9.1', command: ['/vault-secrets-operator'] }] } },
        },
      },
    })
    try {
      // a standalone apiserver has no controllers: the Deployment never gets a ready replica
      expect(await detectOperator(admin)).toEqual({
        running: 'unknown',
        namespace: ns,
        evidence: [`Deployment ${ns}/${deployment} (0/1 ready): installed but not ready, and it may start at any time.`],
      })

      await createLease(ns, `${deployment}-5d8f_0b1c`, 2_000)
      const running = await detectOperator(admin)
      expect(running.running).toBe(true)
      expect(running.namespace).toBe(ns)
      expect(running.evidence).toHaveLength(2)
      expect(running.evidence[0]).toMatch(new RegExp(`^leader Lease ${ns}/${VSO_LEADER_LEASE} held by ${deployment}-5d8f_0b1c, renewed [2-9] s ago\\.$`))
      expect(running.evidence[1]).toBe(`Deployment ${ns}/${deployment} (0/1 ready): installed but not ready, and it may start at any time.`)
    } finally {
      await appsApi().deleteNamespacedDeployment({ namespace: ns, name: deployment })
      await deleteLease(ns).catch(() => {})
    }

    await createLease(ns, 'gone-pod_1', 10 * 60_000)
    try {
      const stale = await detectOperator(admin)
      expect(stale).toEqual({
        running: false,
        evidence: [`leader Lease ${ns}/${VSO_LEADER_LEASE} held by gone-pod_1 was last renewed 10 min ago, more than 3 × its 15 s duration: stale, not counted as a running operator.`],
      })
    } finally {
      await deleteLease(ns)
    }
  })

  it('cannot tell, and says why, when the context may not list Leases and Deployments cluster-wide', async () => {
    const syncer = syncerConfig()
    const found = await detectOperator(syncer)
    expect(found.running).toBe('unknown')
    expect(found.evidence).toEqual([
      'Could not tell whether the Vault Secrets Operator runs: kube-context "syncer" may not list leases.coordination.k8s.io in all namespaces (403). Syncing stays off (observe only) until that is known.',
      'Could not tell whether the Vault Secrets Operator runs: kube-context "syncer" may not list deployments.apps in all namespaces (403). Syncing stays off (observe only) until that is known.',
    ])
  })

  it('reads which CRDs are installed, with their served versions', async () => {
    // a CRD of its own: VSO's are installed and removed by other tests of the run
    const group = `${unique('crd')}.example.com`
    const name = `widgets.${group}`
    const extensions = admin.makeApiClient(ApiextensionsV1Api)
    const schema = { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }
    await extensions.createCustomResourceDefinition({
      body: {
        metadata: { name },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            { name: 'v1alpha1', served: false, storage: false, schema },
            { name: 'v1beta1', served: true, storage: false, schema },
            { name: 'v1', served: true, storage: true, schema },
          ],
        },
      },
    })
    try {
      await expect
        .poll(() => crdsInstalled(admin, [name, `gadgets.${group}`]))
        .toEqual([
          { name, installed: true, servedVersions: ['v1beta1', 'v1'], storageVersion: 'v1', established: true },
          { name: `gadgets.${group}`, installed: false, servedVersions: [], established: false },
        ])
    } finally {
      await extensions.deleteCustomResourceDefinition({ name })
    }
    expect((await crdsInstalled(admin)).map((crd) => crd.name)).toEqual([...VSO_CRDS])

    const syncer = syncerConfig()
    await expect(crdsInstalled(syncer, [name])).rejects.toThrow(`kube-context "syncer" may not read customresourcedefinitions.apiextensions.k8s.io (403), so whether ${name} is installed is unknown.`)
  })
})

describe('a cluster-internal Vault address', () => {
  let ns: string
  let resolver: VaultAddressResolver
  const core = () => admin.makeApiClient(CoreV1Api)
  const discovery = () => admin.makeApiClient(DiscoveryV1Api)

  beforeAll(async () => {
    // Pods need the namespace's default ServiceAccount, which no controller makes here
    ns = await namespace('default')
    resolver = new VaultAddressResolver(admin)
  })
  afterAll(async () => {
    await resolver.close()
    await core().deleteNamespacedPod({ namespace: ns, name: 'vault-0', gracePeriodSeconds: 0 }).catch(() => {})
    await discovery().deleteCollectionNamespacedEndpointSlice({ namespace: ns }).catch(() => {})
    await core().deleteNamespacedEndpoints({ namespace: ns, name: 'vault' }).catch(() => {})
    await core().deleteNamespacedService({ namespace: ns, name: 'vault' }).catch(() => {})
  })

  const failure = async (address: string, using = resolver) => {
    const error = await using.resolveVaultAddress(address).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(error).toBeInstanceOf(VaultAddressError)
    return error as VaultAddressError
  }

  it('names the Service that does not exist, and suggests mapping the address', async () => {
    const error = await failure(`http://vault.${ns}.svc:8200`)
    expect(error.problem).toBe('service-not-found')
    expect(error.message).toBe(
      `Service ${ns}/vault (from the Vault address http://vault.${ns}.svc:8200) does not exist in kube-context "lab". Fix the address, or map http://vault.${ns}.svc:8200 in settings (addressMap) to an address this laptop can reach.`,
    )
  })

  it('finds no ready Pod until an EndpointSlice names one, and names the port a Service lacks', async () => {
    await core().createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'vault' }, spec: { selector: { app: 'vault' }, ports: [{ name: 'http', port: 8200, targetPort: 'vault-http' }] } },
    })
    expect((await failure(`https://vault.${ns}.svc.cluster.local:8201`)).message).toMatch(new RegExp(`^Service ${ns}/vault has no port 8201 \\(it has 8200\\)\\. Fix the port`))

    const address = `http://vault.${ns}.svc:8200`
    const none = await failure(address)
    expect(none.problem).toBe('no-ready-pod')
    expect(none.message).toBe(`No ready Pod behind Service ${ns}/vault port 8200 in kube-context "lab". Start Vault, or map ${address} in settings (addressMap) to an address this laptop can reach.`)

    // what the EndpointSlice controller would write for a sealed (not ready) vault-1
    await discovery().createNamespacedEndpointSlice({
      namespace: ns,
      body: {
        metadata: { name: 'vault-abcde', labels: { 'kubernetes.io/service-name': 'vault' } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 8200, protocol: 'TCP' }],
        endpoints: [{ addresses: ['10.244.0.11'], conditions: { ready: false }, targetRef: { kind: 'Pod', name: 'vault-1', namespace: ns } }],
      },
    })
    expect((await failure(address)).message).toMatch(new RegExp(`^No ready Pod behind Service ${ns}/vault port 8200 in kube-context "lab" \\(1 not ready: vault-1\\)\\.`))
  })

  it('tries to port-forward to the ready Pod, and says why the apiserver refused', async () => {
    // an unscheduled Pod: a standalone apiserver has no scheduler and no kubelet to forward to
    await core().createNamespacedPod({ namespace: ns, body: { metadata: { name: 'vault-0', labels: { app: 'vault' } }, spec: { containers: [{ name: 'vault', image: 'openbao/openbao' }] } } })
    await discovery().createNamespacedEndpointSlice({
      namespace: ns,
      body: {
        metadata: { name: 'vault-fghij', labels: { 'kubernetes.io/service-name': 'vault' } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 8200, protocol: 'TCP' }],
        endpoints: [{ addresses: ['10.244.0.10'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'vault-0', namespace: ns } }],
      },
    })
    const address = `http://vault.${ns}.svc:8200`
    const error = await failure(address)
    expect(error.problem).toBe('port-forward-failed')
    expect(error.message).toBe(
      `Could not port-forward to Pod ${ns}/vault-0 port 8200 (behind Service ${ns}/vault) through the apiserver of kube-context "lab": ` +
        'the apiserver answered 400: pod vault-0 does not have a host assigned. ' +
        `Port-forwarding needs a running Pod on a node and "create" on pods/portforward; or map ${address} in settings (addressMap) to an address this laptop can reach.`,
    )
  })

  it('falls back to Endpoints for a role that may not read EndpointSlices', async () => {
    await core().createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'reader' } } })
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api)
    await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name: 'reader' }, rules: [{ apiGroups: [''], resources: ['services', 'endpoints'], verbs: ['get'] }] } })
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: { metadata: { name: 'reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }] },
    })
    // the Endpoints the endpoints controller would write, with vault-0 ready
    await core().createNamespacedEndpoints({
      namespace: ns,
      body: { metadata: { name: 'vault' }, subsets: [{ addresses: [{ ip: '10.244.0.10', targetRef: { kind: 'Pod', name: 'vault-0', namespace: ns } }], ports: [{ name: 'http', port: 8200 }] }] },
    })
    const token = await requestServiceAccountToken(admin, { namespace: ns, serviceAccount: 'reader', audiences: [lab.kube.serviceAccountIssuer] })
    const reader = new VaultAddressResolver(configForContext(loadKubeConfig({ KUBECONFIG: kubeconfigFile('reader', { token }) })!, 'reader'))
    try {
      const address = `http://vault.${ns}.svc:8200`
      await expect
        .poll(async () => (await failure(address, reader)).message, { timeout: 10_000 })
        .toMatch(new RegExp(`^Could not port-forward to Pod ${ns}/vault-0 port 8200 \\(behind Service ${ns}/vault\\) through the apiserver of kube-context "reader": the apiserver answered 403: .*pods/portforward`))
    } finally {
      await reader.close()
    }
  })
})

/** A POST with the config's credentials, for a body client-node would re-serialise wrongly. */
async function post(config: KubeConfig, path: string, body: unknown): Promise<void> {
  const options: { headers?: Record<string, string>; ca?: Buffer; agent?: unknown } = {}
  await config.applyToHTTPSOptions(options as never)
  const url = new URL(config.getCurrentCluster()!.server + path)
  await new Promise<void>((resolve, reject) => {
    const req = request(url, { method: 'POST', ...options, headers: { ...options.headers, 'content-type': 'application/json' } } as never, (response) => {
      let text = ''
      response.on('data', (chunk: Buffer) => (text += chunk.toString()))
      response.on('end', () => (response.statusCode === 201 ? resolve() : reject(new Error(`POST ${path}: ${response.statusCode} ${text}`))))
    })
    req.on('error', reject)
    req.end(JSON.stringify(body))
  })
}
