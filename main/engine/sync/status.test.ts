import { describe, expect, it } from 'vitest'
import { healthConditions, mergeConditions } from './status.ts'

describe('mergeConditions', () => {
  const before = mergeConditions(undefined, [{ type: 'SecretSynced', ok: true, reason: 'Synced', message: 'Secret synced' }], 1, 't1')

  it('keeps lastTransitionTime while status and reason stay, and stamps the generation', () => {
    const after = mergeConditions(before, [{ type: 'SecretSynced', ok: true, reason: 'Synced', message: 'Secret synced, horizon=50s' }], 2, 't2')
    expect(after).toEqual([{ type: 'SecretSynced', status: 'True', reason: 'Synced', message: 'Secret synced, horizon=50s', lastTransitionTime: 't1', observedGeneration: 2 }])
  })

  it('moves lastTransitionTime when the status flips, and keeps one entry per type', () => {
    const failed = mergeConditions(before, [{ type: 'SecretSynced', ok: false, reason: 'Synced', message: 'Vault is sealed' }, ...healthConditions('VaultStaticSecret', false, 'Vault is sealed')], 1, 't3')
    expect(failed.map((c) => [c.type, c.status, c.lastTransitionTime])).toEqual([
      ['SecretSynced', 'False', 't3'],
      ['Healthy', 'False', 't3'],
      ['Ready', 'False', 't3'],
    ])
  })
})
