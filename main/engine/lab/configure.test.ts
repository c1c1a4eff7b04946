import { describe, expect, it } from 'vitest'
import { contains, objectPath } from './configure.ts'
import { parsePostgresUrl } from './providers.ts'
import { covers } from './state.ts'
import { exampleDeployment, vaultConnection } from './tutorial.ts'

describe('contains', () => {
  it('ignores what the server added, and sees a field that differs', () => {
    const deployment = exampleDeployment()
    const live = structuredClone(deployment) as ReturnType<typeof exampleDeployment> & Record<string, unknown>
    Object.assign(live.spec, { strategy: { type: 'RollingUpdate' }, revisionHistoryLimit: 10 })
    Object.assign(live.spec.template.spec.containers[0]!, { imagePullPolicy: 'IfNotPresent' })
    Object.assign(live.spec.template.metadata, { annotations: { 'vso.secrets.hashicorp.com/restartedAt': 'now' } })
    expect(contains(live, deployment)).toBe(true)
    live.spec.template.spec.containers[0]!.image = 'other:1'
    expect(contains(live, deployment)).toBe(false)
  })

  it('wants arrays of the same length', () => {
    expect(contains({ roles: ['a', 'b'] }, { roles: ['a'] })).toBe(false)
    expect(contains({ roles: ['a'] }, { roles: ['a'] })).toBe(true)
  })
})

describe('objectPath', () => {
  it('builds core, grouped, namespaced and cluster-wide paths', () => {
    expect(objectPath(vaultConnection('http://127.0.0.1:8200'))).toBe('/apis/secrets.hashicorp.com/v1beta1/namespaces/vault/vaultconnections/vault-connection')
    expect(objectPath({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'vault' } })).toBe('/api/v1/namespaces/vault')
    expect(objectPath({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'x' } })).toBe('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/x')
  })
})

describe('covers', () => {
  it('counts what lives in a created mount, auth method or namespace as created with it', () => {
    expect(covers('sys/mounts/static', 'static/metadata/exampleapp/creds')).toBe(true)
    expect(covers('sys/mounts/static', 'staticx/data/a')).toBe(false)
    expect(covers('sys/auth/kubernetes', 'auth/kubernetes/role/app')).toBe(true)
    expect(covers('/api/v1/namespaces/vault', '/apis/secrets.hashicorp.com/v1beta1/namespaces/vault/vaultconnections/c')).toBe(true)
    expect(covers('/api/v1/namespaces/vault', '/api/v1/namespaces/vault-secrets-operator/secrets/s')).toBe(false)
  })
})

describe('parsePostgresUrl', () => {
  it('reads host, port, user, database, TLS and a password apart', () => {
    expect(parsePostgresUrl('postgresql://app:s%40cret@db.local:6543/shop?sslmode=require')).toEqual({
      provider: { kind: 'existing', host: 'db.local', port: 6543, user: 'app', database: 'shop', ssl: true },
      password: 's@cret',
    })
    expect(parsePostgresUrl('postgres://127.0.0.1').provider).toMatchObject({ port: 5432, user: 'postgres', database: 'postgres', ssl: false })
    expect(() => parsePostgresUrl('mysql://x')).toThrow(/must start with postgresql:\/\//)
  })
})
