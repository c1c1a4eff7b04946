import { describe, expect, it } from 'vitest'
import { kubectlResource, REQUIRED_PERMISSIONS, summarizeChecks, type PermissionCheck } from './preflight.ts'

const answers = (denied: (check: PermissionCheck) => boolean, namespace?: string): PermissionCheck[] =>
  REQUIRED_PERMISSIONS.map(({ feature: _feature, ...permission }) => {
    const check = { ...permission, ...(namespace ? { namespace } : {}), allowed: true }
    return { ...check, allowed: !denied(check) }
  })

describe('the permissions the sync engine needs', () => {
  it("are VSO's manager ClusterRole verbs, once each", () => {
    const keys = REQUIRED_PERMISSIONS.map((permission) => `${permission.verb} ${kubectlResource(permission)}`)
    expect(new Set(keys).size).toBe(keys.length)
    expect(keys).toEqual(expect.arrayContaining(['create serviceaccounts/token', 'patch deployments.apps', 'patch rollouts.argoproj.io', 'update vaultpkisecrets.secrets.hashicorp.com/status', 'watch secrets']))
    expect(keys).toHaveLength(7 + 3 + 1 + 2 + 12 + 3 + 7 * 5 + 7 * 3)
  })
})

describe('summarizeChecks', () => {
  it('says so when everything is allowed', () => {
    const report = summarizeChecks('kind', undefined, answers(() => false))
    expect(report.missing).toEqual([])
    expect(report.disabled).toEqual([])
    expect(report.summary).toBe('kube-context "kind" has every permission the sync engine needs cluster-wide.')
  })

  it('names what is missing in kubectl terms, one line per resource, and the features it switches off', () => {
    const report = summarizeChecks(
      'prod',
      'app',
      answers((check) => (check.resource === 'deployments' && check.verb === 'patch') || check.resource === 'statefulsets' || check.subresource === 'token', 'app'),
    )
    expect(report.problems).toEqual([
      'cannot create serviceaccounts/token in namespace "app"',
      'cannot patch deployments.apps in namespace "app"',
      'cannot get, list, patch or watch statefulsets.apps in namespace "app"',
    ])
    expect(report.disabled).toEqual([
      { feature: 'kubernetes-auth', label: 'Vault kubernetes and jwt auth with a ServiceAccount token', because: ['cannot create serviceaccounts/token in namespace "app"'] },
      {
        feature: 'rollout-restart',
        label: 'rollout restart of Deployments, StatefulSets and DaemonSets',
        because: ['cannot patch deployments.apps in namespace "app"', 'cannot get, list, patch or watch statefulsets.apps in namespace "app"'],
      },
    ])
    expect(report.missing).toHaveLength(6)
    expect(report.summary).toMatch(/^kube-context "prod" lacks 6 of 84 permissions the sync engine needs in namespace "app": cannot create serviceaccounts\/token .*\. Switched off: Vault kubernetes and jwt auth .*; rollout restart of Deployments, StatefulSets and DaemonSets\. Grant/)
  })
})
