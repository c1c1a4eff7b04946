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
  transit: { mount: 'transit', key: 'vso-client-cache', policy: 'vso-transit-policy' },
} as const

export const staticPolicy = `path "${TUTORIAL.static.kvMount}/data/${TUTORIAL.static.kvPath}" {
  capabilities = ["read"]
}
`

export const dynamicPolicy = `path "${TUTORIAL.dynamic.databaseMount}/creds/${TUTORIAL.dynamic.databaseRole}" {
  capabilities = ["read"]
}
`

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

export function vaultStaticSecret() {
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
