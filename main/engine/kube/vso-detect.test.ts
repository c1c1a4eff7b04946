import type { V1Deployment, V1Lease } from '@kubernetes/client-node'
import { describe, expect, it } from 'vitest'
import { deploymentFinding, isOperatorDeployment, isVaultTrayLease, leaseFinding } from './vso-detect.ts'

const now = Date.parse('2025-06-01T12:00:00Z')
const lease = (spec: V1Lease['spec']): V1Lease => ({ metadata: { name: 'b0d477c0.hashicorp.com', namespace: 'vso' }, spec })

describe('the leader Lease', () => {
  it('counts as a running operator while it is renewed', () => {
    const finding = leaseFinding(lease({ holderIdentity: 'vso-7d9_1f2e', leaseDurationSeconds: 15, renewTime: new Date(now - 3_000) }), now, 3)
    expect(finding).toEqual({ running: true, namespace: 'vso', evidence: 'leader Lease vso/b0d477c0.hashicorp.com held by vso-7d9_1f2e, renewed 3 s ago.' })
  })

  it('is stale beyond a few lease durations, and then does not count', () => {
    const finding = leaseFinding(lease({ holderIdentity: 'vso-7d9_1f2e', leaseDurationSeconds: 15, renewTime: new Date(now - 2 * 3600_000) }), now, 3)
    expect(finding.running).toBe(false)
    expect(finding.evidence).toBe('leader Lease vso/b0d477c0.hashicorp.com held by vso-7d9_1f2e was last renewed 2 h ago, more than 3 × its 15 s duration: stale, not counted as a running operator.')
    expect(leaseFinding(lease({ holderIdentity: 'x', leaseDurationSeconds: 15, renewTime: new Date(now - 46_000) }), now, 3).running).toBe(false)
    expect(leaseFinding(lease({ holderIdentity: 'x', leaseDurationSeconds: 15, renewTime: new Date(now - 44_000) }), now, 3).running).toBe(true)
  })

  it('does not count when its leader stepped down or never renewed it', () => {
    expect(leaseFinding(lease({ holderIdentity: '', leaseDurationSeconds: 1, renewTime: new Date(now) }), now, 3)).toMatchObject({ running: false, evidence: expect.stringMatching(/has no holder/) })
    expect(leaseFinding(lease({ holderIdentity: 'x' }), now, 3)).toMatchObject({ running: false, evidence: expect.stringMatching(/never renewed: stale/) })
  })

  it("is a Vault Tray's, not VSO's, while a Vault Tray holds it or after one let go of the Lease it made", () => {
    expect(isVaultTrayLease(lease({ holderIdentity: 'vault-tray ana@laptop pid 4242 #a1b2c3' }))).toBe(true)
    expect(isVaultTrayLease(lease({ holderIdentity: 'vso-7d9_1f2e' }))).toBe(false)
    const released: V1Lease = { metadata: { name: 'b0d477c0.hashicorp.com', namespace: 'vso', labels: { 'app.kubernetes.io/managed-by': 'vault-tray' } }, spec: { holderIdentity: '' } }
    expect(isVaultTrayLease(released)).toBe(true)
    // VSO keeps the label when it takes over a Lease a Vault Tray made: its holder decides
    expect(isVaultTrayLease({ ...released, spec: { holderIdentity: 'vso-7d9_1f2e' } })).toBe(false)
    expect(isVaultTrayLease(lease({ holderIdentity: '' }))).toBe(false)
  })
})

describe('the controller Deployment', () => {
  const deployment = (name: string, image: string, replicas: number, ready?: number): V1Deployment => ({
    metadata: { name, namespace: 'ops' },
    spec: { replicas, selector: {}, template: { spec: { containers: [{ name: 'manager', image }, { name: 'kube-rbac-proxy', image: 'quay.io/brancz/kube-rbac-proxy' }] } } },
    ...(ready === undefined ? {} : { status: { readyReplicas: ready } }),
  })

  it("is VSO's by its name or the manager's image, not by the kubebuilder label alone", () => {
    expect(isOperatorDeployment(deployment('vault-secrets-operator-controller-manager', 'anything', 1))).toBe(true)
    expect(isOperatorDeployment(deployment('vso-vault-secrets-operator-controller-manager', 'anything', 1))).toBe(true)
    expect(isOperatorDeployment(deployment('secrets', 'registry.corp/hashicorp/vault-secrets-operator:0.9.1', 1))).toBe(true)
    expect(isOperatorDeployment(deployment('other-operator-controller-manager', 'example.com/other:1', 1))).toBe(false)
  })

  it('runs when a replica is ready, not when scaled to 0, and is unknown while it starts', () => {
    expect(deploymentFinding(deployment('vault-secrets-operator-controller-manager', 'x', 1, 1))).toEqual({
      running: true,
      namespace: 'ops',
      evidence: 'Deployment ops/vault-secrets-operator-controller-manager (1/1 ready).',
    })
    expect(deploymentFinding(deployment('vault-secrets-operator-controller-manager', 'x', 0))).toMatchObject({ running: false, evidence: 'Deployment ops/vault-secrets-operator-controller-manager is scaled to 0.' })
    expect(deploymentFinding(deployment('vault-secrets-operator-controller-manager', 'x', 2))).toMatchObject({
      running: 'unknown',
      evidence: 'Deployment ops/vault-secrets-operator-controller-manager (0/2 ready): installed but not ready, and it may start at any time.',
    })
  })
})
