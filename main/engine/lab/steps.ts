// The one-click lab's steps: the VSO tutorial ("Dynamic credentials for Kubernetes workloads with Vault and VSO")
// as idempotent product code. Independent steps run side by side; each can run again and changes only what is
// not as it should be.
import { existsSync } from 'node:fs'
import pino from 'pino'
import { requestServiceAccountToken } from '../kube/service-account-token.ts'
import { installCrds, readBundledCrds } from '../kube/crds.ts'
import { SyncEngine, resourceKey } from '../sync/sync-engine.ts'
import { createLogger } from '../telemetry/log.ts'
import { localControlPlane, existingContext, kindCluster, minikubeCluster } from './cluster.ts'
import { contains, kubeGet, KubeSetup, NotTheLabsError, vaultRead, VaultSetup } from './configure.ts'
import type { LabContext } from './context.ts'
import { existingPostgres, localPostgres, logInProblem } from './postgres.ts'
import type { Step, StepHandle } from './runner.ts'
import type { StepId } from './state.ts'
import {
  DATABASE_ROLE,
  dynamicPolicy,
  exampleDeployment,
  kubernetesRole,
  namespace,
  serviceAccount,
  STATIC_EXAMPLE_DATA,
  instantUpdatesPolicy,
  staticPolicy,
  tokenReviewBinding,
  transitPolicy,
  transitVaultAuth,
  TUTORIAL,
  vaultAuth,
  vaultConnection,
  vaultDynamicSecret,
  vaultStaticSecret,
} from './tutorial.ts'
import { existingVault } from './vault-existing.ts'
import { ownVault } from './vault-server.ts'

const { static: stat, dynamic, transit, operator } = TUTORIAL

/** The token reviewer's JWT lives a year; `up` issues a new one when less than a week is left. */
const REVIEWER_TOKEN_SECONDS = 365 * 24 * 3600
const REVIEWER_RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000

type LabStep = Step<LabContext>

export const STEP_TITLES: Record<StepId, string> = {
  vault: 'Vault up and unsealed',
  cluster: 'Kubernetes cluster up',
  postgres: 'PostgreSQL up',
  'kube-base': 'Namespaces, ServiceAccounts, token reviewer RBAC',
  crds: "VSO's custom resource definitions",
  'kubernetes-auth': 'Kubernetes auth: token reviewer vault-to-k8s-sa and the cluster CA',
  static: 'KV v2 static/exampleapp/creds, its policy and role',
  database: 'Database engine on PostgreSQL, the dynamic role, its policy and role',
  transit: 'Transit key and policy for the client cache',
  resources: 'VaultConnection, VaultAuths, VaultStaticSecret, VaultDynamicSecret, Deployment',
  sync: 'vso-static-creds-from-vault and vso-dynamic-creds-from-vault synced and valid',
}

const step = (id: StepId, needs: StepId[], run: (handle: StepHandle, context: LabContext) => Promise<void>): LabStep => ({ id, title: STEP_TITLES[id], needs, run })

export function labSteps(): LabStep[] {
  return [
    step('vault', [], vaultUp),
    step('cluster', [], clusterUp),
    step('postgres', [], postgresUp),
    step('kube-base', ['cluster'], kubeBase),
    step('crds', ['cluster'], crds),
    step('kubernetes-auth', ['vault', 'kube-base'], kubernetesAuth),
    step('static', ['vault'], staticSecret),
    step('database', ['vault', 'postgres'], databaseEngine),
    step('transit', ['vault'], transitKey),
    step('resources', ['vault', 'crds', 'kube-base'], vsoResources),
    step('sync', ['kubernetes-auth', 'static', 'database', 'transit', 'resources'], syncSecrets),
  ]
}

async function vaultUp(handle: StepHandle, context: LabContext): Promise<void> {
  const provider = context.providers.vault
  if (provider.kind === 'existing') return existingVault(handle, context, provider.address)
  await ownVault(handle, context, provider.binary, provider.flavor)
}

async function clusterUp(handle: StepHandle, context: LabContext): Promise<void> {
  const provider = context.providers.cluster
  if (provider.kind === 'local') return localControlPlane(handle, context, provider.etcd, provider.kubeApiserver)
  if (provider.kind === 'kind') return kindCluster(handle, context, provider.binary, provider.name)
  if (provider.kind === 'minikube') return minikubeCluster(handle, context, provider.binary, provider.profile)
  await existingContext(handle, context, provider.kubeconfig, provider.context)
}

async function postgresUp(handle: StepHandle, context: LabContext): Promise<void> {
  const provider = context.providers.postgres
  if (provider.kind === 'local') return localPostgres(handle, context, provider.binDir)
  await existingPostgres(handle, context, provider, context.postgresPasswordOption)
}

async function kubeBase(handle: StepHandle, context: LabContext): Promise<void> {
  const kube = new KubeSetup(handle, context)
  const namespaces = [TUTORIAL.vaultNamespace, stat.namespace, dynamic.namespace, operator.namespace]
  await Promise.all(namespaces.map((name) => kube.object(namespace(name))))
  await Promise.all([
    kube.object(serviceAccount(TUTORIAL.vaultNamespace, TUTORIAL.reviewerServiceAccount)),
    kube.object(serviceAccount(stat.namespace, stat.serviceAccount)),
    kube.object(serviceAccount(dynamic.namespace, dynamic.serviceAccount)),
    kube.object(serviceAccount(operator.namespace, operator.serviceAccount)),
    kube.object(tokenReviewBinding(), `ClusterRoleBinding ${TUTORIAL.reviewerBinding} (system:auth-delegator for ${TUTORIAL.vaultNamespace}/${TUTORIAL.reviewerServiceAccount})`),
  ])
}

/** Looks first (seven reads on a kept-alive connection), and runs the installer only when a CRD is missing or differs. */
async function crds(handle: StepHandle, context: LabContext): Promise<void> {
  const kube = new KubeSetup(handle, context)
  const bundled = readBundledCrds()
  const live = await Promise.all(bundled.map((crd) => kube.get<{ spec: unknown; status?: { conditions?: { type: string; status: string }[] } }>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`)))
  const established = (crd: (typeof live)[number]) => crd?.status?.conditions?.some((condition) => condition.type === 'Established' && condition.status === 'True')
  const stale = bundled.filter((crd, index) => !live[index] || !established(live[index]) || !contains(live[index]!.spec, crd.spec))
  if (stale.length === 0) return
  if (handle.dryRun) return handle.changed(`install ${stale.map((crd) => crd.spec.names.kind).join(', ')}`)
  // remembered before they exist: `down` removes from a cluster not the lab's only the CRDs the lab created
  if (!context.kube!.owned) bundled.forEach((crd, index) => !live[index] && context.store.created({ in: 'kube-crd', name: crd.metadata.name, what: `CRD ${crd.metadata.name}` }))
  handle.checkpoint()
  for (const result of await installCrds(context.kube!.config)) {
    if (result.action === 'created' || result.action === 'upgraded') handle.changed(`${result.action} CRD ${result.name}`)
    if (result.action === 'kept') handle.note(`CRD ${result.name}: ${result.detail}`)
  }
}

/** JWTs carry their expiry in the payload; read, never logged. */
function jwtExpiry(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: number }
  return (payload.exp ?? 0) * 1000
}

async function kubernetesAuth(handle: StepHandle, context: LabContext): Promise<void> {
  const vault = new VaultSetup(handle, context)
  const kube = new KubeSetup(handle, context)
  await vault.authMount(TUTORIAL.authMount, 'kubernetes')
  const reviewer = await kube.get(`/api/v1/namespaces/${TUTORIAL.vaultNamespace}/serviceaccounts/${TUTORIAL.reviewerServiceAccount}`)
  if (!reviewer) throw new Error(`ServiceAccount ${TUTORIAL.vaultNamespace}/${TUTORIAL.reviewerServiceAccount} is missing; the step before should have made it.`)
  const { host, caCert } = context.kube!
  const want = { kubernetes_host: host, kubernetes_ca_cert: (caCert ?? '').trim(), disable_local_ca_jwt: true }
  const path = `auth/${TUTORIAL.authMount}/config`
  const current = await vault.read(path)
  const same = current && JSON.stringify({ kubernetes_host: current.kubernetes_host, kubernetes_ca_cert: String(current.kubernetes_ca_cert ?? '').trim(), disable_local_ca_jwt: current.disable_local_ca_jwt }) === JSON.stringify(want)
  const issued = context.store.state.reviewer
  const fresh = issued?.serviceAccountUid === reviewer.metadata.uid && issued.host === host && issued.expiresAt - Date.now() > REVIEWER_RENEW_BEFORE_MS
  // a configuration the lab did not write is the user's: kept when it fits, never overwritten
  if (!vault.mayChange(path)) {
    if (same) return
    throw new NotTheLabsError(`The kubernetes auth method at auth/${TUTORIAL.authMount} on ${context.vault!.address} is not the lab's, and it is not set up for the apiserver ${host}. The lab does not change what it did not create: remove it, or let the lab run a Vault of its own (leave out --vault-addr).`)
  }
  if (same && fresh) return
  const why = !same ? 'its host, CA or reviewer settings differ' : !issued ? 'it has no reviewer token from the lab yet' : issued.serviceAccountUid !== reviewer.metadata.uid ? 'the reviewer ServiceAccount was made again' : 'its reviewer token expires within a week'
  if (handle.dryRun) return handle.changed(`configure the kubernetes auth method (${why})`)
  const token = await requestServiceAccountToken(context.kube!.config, { namespace: TUTORIAL.vaultNamespace, serviceAccount: TUTORIAL.reviewerServiceAccount, audiences: [], expirationSeconds: REVIEWER_TOKEN_SECONDS })
  await vault.ensure({ path, what: `kubernetes auth configuration (apiserver ${host}, reviewer ${TUTORIAL.vaultNamespace}/${TUTORIAL.reviewerServiceAccount})`, want, have: () => undefined, body: { ...want, token_reviewer_jwt: token }, force: true })
  context.store.update((state) => (state.reviewer = { serviceAccountUid: reviewer.metadata.uid, host, expiresAt: jwtExpiry(token) }))
}

/**
 * The tutorial's instant updates need Vault's event stream: the lab's own HashiCorp Vault runs with it
 * (events.alpha1); OpenBao has none, and a Vault of the user's is left as the tutorial's first sections have it.
 */
const hasEventStream = (context: LabContext) => context.providers.vault.kind === 'server' && context.providers.vault.flavor === 'vault'

async function staticSecret(handle: StepHandle, context: LabContext): Promise<void> {
  const vault = new VaultSetup(handle, context)
  await vault.mount(stat.kvMount, 'kv', { version: '2' })
  // the secret is the user's to edit once it exists: the lab writes it only when it is missing
  const secret = await vault.read(`${stat.kvMount}/data/${stat.kvPath}`)
  if (!secret) {
    await vault.ensure({ path: `${stat.kvMount}/data/${stat.kvPath}`, what: `KV v2 secret ${stat.kvMount}/${stat.kvPath} (username and password)`, want: 'present', have: () => 'present', body: { data: STATIC_EXAMPLE_DATA }, deletePath: `${stat.kvMount}/metadata/${stat.kvPath}` })
  }
  await vault.policy(stat.policy, hasEventStream(context) ? instantUpdatesPolicy : staticPolicy)
  await vault.authMount(TUTORIAL.authMount, 'kubernetes')
  await vault.kubernetesRole(TUTORIAL.authMount, stat.role, kubernetesRole(stat.serviceAccount, stat.namespace, stat.policy))
}

async function databaseEngine(handle: StepHandle, context: LabContext): Promise<void> {
  const vault = new VaultSetup(handle, context)
  const postgres = context.postgres!
  await vault.mount(dynamic.databaseMount, 'database')
  const connectionUrl = `postgresql://{{username}}:{{password}}@${postgres.host}:${postgres.port}/${postgres.database}?sslmode=${postgres.ssl ? 'require' : 'disable'}`
  const want = { plugin_name: 'postgresql-database-plugin', connection_url: connectionUrl, username: postgres.user, allowed_roles: [dynamic.databaseRole] }
  await vault.ensure({
    path: `${dynamic.databaseMount}/config/${dynamic.databaseConnection}`,
    what: `database connection ${dynamic.databaseConnection} (${postgres.user}@${postgres.host}:${postgres.port})`,
    want,
    have: (data) => {
      const details = (data.connection_details ?? {}) as { connection_url?: string; username?: string }
      return { plugin_name: data.plugin_name, connection_url: details.connection_url, username: details.username, allowed_roles: data.allowed_roles }
    },
    // Vault never gives the password back, so a changed one is written again on our word
    force: context.postgresPasswordChanged,
    body: { ...want, password: postgres.password, verify_connection: true },
  })
  const role = { db_name: dynamic.databaseConnection, creation_statements: [...DATABASE_ROLE.creationStatements], default_ttl: DATABASE_ROLE.defaultTtlSeconds, max_ttl: DATABASE_ROLE.maxTtlSeconds }
  await vault.ensure({ path: `${dynamic.databaseMount}/roles/${dynamic.databaseRole}`, what: `database role ${dynamic.databaseRole}`, want: role, have: (data) => ({ db_name: data.db_name, creation_statements: data.creation_statements, default_ttl: data.default_ttl, max_ttl: data.max_ttl }), body: role })
  await vault.policy(dynamic.policy, dynamicPolicy)
  await vault.authMount(TUTORIAL.authMount, 'kubernetes')
  await vault.kubernetesRole(TUTORIAL.authMount, dynamic.role, kubernetesRole(dynamic.serviceAccount, dynamic.namespace, dynamic.policy))
}

async function transitKey(handle: StepHandle, context: LabContext): Promise<void> {
  const vault = new VaultSetup(handle, context)
  await vault.mount(transit.mount, 'transit')
  const keyPath = `${transit.mount}/keys/${transit.key}`
  await vault.ensure({ path: keyPath, what: `transit key ${transit.key}`, want: 'present', have: () => 'present', body: { type: 'aes256-gcm96' } })
  await vault.policy(transit.policy, transitPolicy)
  await vault.authMount(TUTORIAL.authMount, 'kubernetes')
  await vault.kubernetesRole(TUTORIAL.authMount, transit.role, kubernetesRole(operator.serviceAccount, operator.namespace, transit.policy))
}

async function vsoResources(handle: StepHandle, context: LabContext): Promise<void> {
  const kube = new KubeSetup(handle, context)
  await kube.object(vaultConnection(context.vault!.address))
  await Promise.all([kube.object(vaultAuth('static')), kube.object(vaultAuth('dynamic')), kube.object(transitVaultAuth()), kube.object(exampleDeployment())])
  await Promise.all([kube.object(vaultStaticSecret({ instantUpdates: hasEventStream(context) })), kube.object(vaultDynamicSecret())])
}

/** Why each destination Secret is not as it should be; empty when both are. Values are compared, never shown. */
async function secretProblems(context: LabContext): Promise<string[]> {
  const api = context.kube!.api
  const decode = (secret: { data?: Record<string, string> } | undefined) => Object.fromEntries(Object.entries(secret?.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]))
  const [staticSecret, dynamicSecret, kv] = await Promise.all([
    kubeGet<{ data?: Record<string, string> }>(api, `/api/v1/namespaces/${stat.namespace}/secrets/${stat.destination}`),
    kubeGet<{ data?: Record<string, string> }>(api, `/api/v1/namespaces/${dynamic.namespace}/secrets/${dynamic.destination}`),
    vaultRead<{ data?: Record<string, unknown> }>(context.vault!, `${stat.kvMount}/data/${stat.kvPath}`),
  ])
  const problems: string[] = []
  if (!staticSecret) problems.push(`${stat.namespace}/${stat.destination} does not exist`)
  else if (!kv?.data || !contains(decode(staticSecret), Object.fromEntries(Object.entries(kv.data).map(([key, value]) => [key, String(value)])))) problems.push(`${stat.namespace}/${stat.destination} differs from ${stat.kvMount}/${stat.kvPath} in Vault`)
  if (!dynamicSecret) problems.push(`${dynamic.namespace}/${dynamic.destination} does not exist`)
  else {
    const { username, password } = decode(dynamicSecret)
    const refused = username && password ? await logInProblem(context.postgres!, username, password) : 'it has no username and password'
    if (refused) problems.push(`${dynamic.namespace}/${dynamic.destination} does not log in to PostgreSQL (${refused.replace(/"[^"]*"/g, '"…"')})`)
  }
  return problems
}

/**
 * Checks both Secrets; when one is missing or invalid, runs the sync engine (as `npm start -- --sync` does) until
 * both are valid, then stops it. An `up` that finds them valid starts no engine, so it mints no new credentials.
 */
async function syncSecrets(handle: StepHandle, context: LabContext): Promise<void> {
  const problems = await secretProblems(context)
  if (problems.length === 0) return
  if (handle.dryRun) return handle.changed(`sync: ${problems.join('; ')}`)
  handle.log(`syncing, because ${problems.join('; ')}`)
  const destination = pino.destination({ dest: context.paths.log('sync'), append: true, sync: true })
  const engine = new SyncEngine({
    kubeConfig: context.kube!.config,
    namespaces: [TUTORIAL.vaultNamespace, stat.namespace, dynamic.namespace],
    operatorNamespace: operator.namespace,
    mode: 'write',
    log: createLogger({ level: 'info', destination }),
  })
  const keys = [resourceKey('VaultStaticSecret', stat.namespace, stat.secret), resourceKey('VaultDynamicSecret', dynamic.namespace, dynamic.secret)]
  try {
    await engine.start()
    const deadline = Date.now() + context.timeouts.syncMs
    let left = problems
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      handle.checkpoint()
      left = await secretProblems(context)
      if (left.length === 0) break
      if (Date.now() > deadline) {
        const why = keys.map((key) => engine.record(key)).filter((record) => record && record.state !== 'synced').map((record) => `${record!.key}: ${record!.diagnosis ? `${record!.diagnosis.cause} ${record!.diagnosis.fix}` : record!.message}`)
        throw new Error(`Not synced within ${context.timeouts.syncMs / 1000} s: ${left.join('; ')}.${why.length ? ` The sync engine says: ${why.join(' ')}` : ''}`)
      }
    }
    handle.changed(`synced ${stat.namespace}/${stat.destination} and ${dynamic.namespace}/${dynamic.destination}; the dynamic credentials log in to PostgreSQL`)
  } finally {
    await engine.stop()
    destination.flushSync()
    destination.end()
  }
}

/** The kubeconfig a user exports to reach the lab's cluster. */
export function kubeconfigFor(context: LabContext): string | undefined {
  const cluster = context.providers.cluster
  if (cluster.kind === 'context') return cluster.kubeconfig.join(':')
  return existsSync(context.paths.kubeconfig) ? context.paths.kubeconfig : undefined
}
