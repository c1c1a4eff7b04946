// The names and manifests of the Vault Secrets Operator tutorial ("Dynamic credentials for Kubernetes workloads
// with Vault and VSO"), in one place for the one-click lab and the tests that follow the tutorial.
import { API_VERSION } from '../sync/api.ts'

export const TUTORIAL = {
  vaultNamespace: 'vault',
  reviewerServiceAccount: 'vault-to-k8s-sa',
  connection: 'vault-connection',
  authMount: 'kubernetes',
  static: {
    namespace: 'static-exampleapp',
    serviceAccount: 'vso-static-exampleapp-sa',
    kvMount: 'static',
    kvPath: 'exampleapp/creds',
    policy: 'exampleapp-kv-read',
    role: 'vault-role-static-exampleapp',
    auth: 'static-auth',
    secret: 'vault-static-secret',
    destination: 'vso-static-creds-from-vault',
  },
  dynamic: {
    namespace: 'dynamic-exampleapp',
    serviceAccount: 'vso-dynamic-exampleapp-sa',
    databaseMount: 'database',
    databaseConnection: 'postgresql',
    databaseRole: 'vault-role-dynamic-exampleapp',
    policy: 'exampleapp-database-read',
    role: 'vault-role-dynamic-exampleapp',
    auth: 'dynamic-auth',
    secret: 'vault-dynamic-secret',
    destination: 'vso-dynamic-creds-from-vault',
    deployment: 'exampleapp',
  },
  transit: { mount: 'transit', key: 'vso-client-cache', policy: 'vso-transit-policy', role: 'operator', auth: 'vault-secrets-operator-default-transit-auth' },
  /** Where VSO runs (its HMAC key lives there) and the ServiceAccount the client-cache role is bound to. */
  operator: { namespace: 'vault-secrets-operator', serviceAccount: 'vault-secrets-operator-controller-manager' },
  /** Lets the token reviewer call TokenReview (ClusterRole system:auth-delegator). */
  reviewerBinding: 'role-tokenreview-binding',
} as const

/** The example values the tutorial writes to static/exampleapp/creds; not a secret of anyone's. */
export const STATIC_EXAMPLE_DATA = { username: 'static-user', password: 'static-password' } as const

/** Vault tokens from the tutorial's kubernetes auth roles live a day (`ttl=24h`). */
export const ROLE_TOKEN_TTL_SECONDS = 86_400

/** The dynamic role: a PostgreSQL login that may read the public schema, for an hour, at most a day. */
export const DATABASE_ROLE = {
  creationStatements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`, 'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";'],
  defaultTtlSeconds: 3_600,
  maxTtlSeconds: 86_400,
} as const

export const staticPolicy = `path "${TUTORIAL.static.kvMount}/data/${TUTORIAL.static.kvPath}" {
  capabilities = ["read"]
}
`

/**
 * The tutorial's last section, "Set up instant updates", for a Vault with an event stream: the static part's token
 * may also subscribe to KV events and read the secret's metadata (which the engine reads to cover a gap in the
 * stream). Vault 1.16+ adds the `subscribe` capability for this; Vault 1.14 (events.alpha1) has only `read` on the
 * subscription path, and would refuse a policy that names `subscribe`.
 */
export const instantUpdatesPolicy = `${staticPolicy}path "${TUTORIAL.static.kvMount}/metadata/${TUTORIAL.static.kvPath}" {
  capabilities = ["read"]
}
path "sys/events/subscribe/kv*" {
  capabilities = ["read"]
}
`

export const dynamicPolicy = `path "${TUTORIAL.dynamic.databaseMount}/creds/${TUTORIAL.dynamic.databaseRole}" {
  capabilities = ["read"]
}
`

/** The client cache's transit key (seed: VSO's persisted client cache): VSO encrypts and decrypts with it, Vault Tray wraps data keys. */
export const transitPolicy = `path "${TUTORIAL.transit.mount}/encrypt/${TUTORIAL.transit.key}" {
  capabilities = ["create", "update"]
}
path "${TUTORIAL.transit.mount}/decrypt/${TUTORIAL.transit.key}" {
  capabilities = ["create", "update"]
}
path "${TUTORIAL.transit.mount}/datakey/plaintext/${TUTORIAL.transit.key}" {
  capabilities = ["update"]
}
`

/** The Kubernetes auth role of one part: who may log in (a ServiceAccount of a namespace), with which policies. */
export function kubernetesRole(serviceAccount: string, namespace: string, policy: string) {
  return { bound_service_account_names: [serviceAccount], bound_service_account_namespaces: [namespace], token_policies: [policy], audience: 'vault', token_ttl: ROLE_TOKEN_TTL_SECONDS }
}

export function namespace(name: string) {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }
}

export function serviceAccount(namespaceName: string, name: string) {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: namespaceName } }
}

/** The tutorial's RBAC for the token reviewer: TokenReview, as Vault's kubernetes auth needs it. */
export function tokenReviewBinding() {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: TUTORIAL.reviewerBinding },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
    subjects: [{ kind: 'ServiceAccount', name: TUTORIAL.reviewerServiceAccount, namespace: TUTORIAL.vaultNamespace }],
  }
}

export function vaultConnection(address: string) {
  return { apiVersion: API_VERSION, kind: 'VaultConnection', metadata: { name: TUTORIAL.connection, namespace: TUTORIAL.vaultNamespace }, spec: { address, skipTLSVerify: false } }
}

export function vaultAuth(which: 'static' | 'dynamic') {
  const part = TUTORIAL[which]
  return {
    apiVersion: API_VERSION,
    kind: 'VaultAuth',
    metadata: { name: part.auth, namespace: part.namespace },
    spec: {
      vaultConnectionRef: `${TUTORIAL.vaultNamespace}/${TUTORIAL.connection}`,
      method: 'kubernetes',
      mount: TUTORIAL.authMount,
      kubernetes: { role: part.role, serviceAccount: part.serviceAccount, audiences: ['vault'] },
    },
  }
}

/**
 * The VaultAuth VSO's Helm chart makes for the client cache's storage encryption (`<release>-default-transit-auth`,
 * labelled cacheStorageEncryption=true): the sync engine seals its persisted Vault tokens with this transit key.
 */
export function transitVaultAuth() {
  return {
    apiVersion: API_VERSION,
    kind: 'VaultAuth',
    metadata: { name: TUTORIAL.transit.auth, namespace: TUTORIAL.operator.namespace, labels: { cacheStorageEncryption: 'true' } },
    spec: {
      vaultConnectionRef: `${TUTORIAL.vaultNamespace}/${TUTORIAL.connection}`,
      method: 'kubernetes',
      mount: TUTORIAL.authMount,
      kubernetes: { role: TUTORIAL.transit.role, serviceAccount: TUTORIAL.operator.serviceAccount, audiences: ['vault'] },
      storageEncryption: { mount: TUTORIAL.transit.mount, keyName: TUTORIAL.transit.key },
    },
  }
}

/** With `instantUpdates`, as the tutorial's last section changes it: `syncConfig.instantUpdates=true`. */
export function vaultStaticSecret(options: { instantUpdates?: boolean } = {}) {
  const part = TUTORIAL.static
  return {
    apiVersion: API_VERSION,
    kind: 'VaultStaticSecret',
    metadata: { name: part.secret, namespace: part.namespace },
    spec: {
      type: 'kv-v2',
      mount: part.kvMount,
      path: part.kvPath,
      destination: { name: part.destination, create: true },
      refreshAfter: '30s',
      vaultAuthRef: part.auth,
      ...(options.instantUpdates ? { syncConfig: { instantUpdates: true } } : {}),
    },
  }
}

export function vaultDynamicSecret() {
  const part = TUTORIAL.dynamic
  return {
    apiVersion: API_VERSION,
    kind: 'VaultDynamicSecret',
    metadata: { name: part.secret, namespace: part.namespace },
    spec: {
      mount: part.databaseMount,
      path: `creds/${part.databaseRole}`,
      destination: { name: part.destination, create: true },
      rolloutRestartTargets: [{ kind: 'Deployment', name: part.deployment }],
      vaultAuthRef: part.auth,
    },
  }
}

/** The app the tutorial deploys: it reads the dynamic credentials from the Secret. */
export function exampleDeployment() {
  const part = TUTORIAL.dynamic
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: part.deployment, namespace: part.namespace, labels: { app: part.deployment } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: part.deployment } },
      template: {
        metadata: { labels: { app: part.deployment } },
        spec: {
          containers: [
            {
              name: part.deployment,
              image: 'hashicorpdemoapp/product-api:v0.0.22',
              env: [
                { name: 'DB_USERNAME', valueFrom: { secretKeyRef: { name: part.destination, key: 'username' } } },
                { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: part.destination, key: 'password' } } },
              ],
            },
          ],
        },
      },
    },
  }
}
