import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../tests/unit/manual-clock.ts'
import { lastDataWriter, MintBudget } from './mint-budget.ts'
import type { KubeSecret } from './destination.ts'

describe('MintBudget', () => {
  it('allows three mints in ten minutes per resource, then says how long until the oldest falls out', () => {
    const clock = new ManualClock()
    const budget = new MintBudget(clock)
    for (let i = 0; i < 3; i++) {
      expect(budget.exhausted('a')).toBeUndefined()
      budget.record('a')
      clock.advance(60_000)
    }
    expect(budget.exhausted('a')).toBe(7 * 60_000)
    expect(budget.exhausted('b')).toBeUndefined()
    clock.advance(7 * 60_000)
    expect(budget.exhausted('a')).toBeUndefined()
    budget.forget('a')
    expect(budget.exhausted('a')).toBeUndefined()
  })
})

describe('lastDataWriter', () => {
  const secret = (managedFields: object[]) => ({ metadata: { name: 's', namespace: 'n', managedFields } }) as unknown as KubeSecret
  it("names the newest field manager other than us that wrote the Secret's data", () => {
    const fields = [
      { manager: 'vault-tray', operation: 'Update', time: '2026-12-07T01:00:03Z', fieldsV1: { 'f:data': {} } },
      { manager: 'kubectl-edit', operation: 'Update', time: '2026-12-07T01:00:01Z', fieldsV1: { 'f:data': { 'f:password': {} } } },
      { manager: 'rogue-writer', operation: 'Update', time: '2026-12-07T01:00:02Z', fieldsV1: { 'f:data': { 'f:username': {} } } },
      { manager: 'labeller', operation: 'Update', time: '2026-12-07T01:00:04Z', fieldsV1: { 'f:metadata': {} } },
    ]
    expect(lastDataWriter(secret(fields), 'vault-tray')).toBe('rogue-writer')
    expect(lastDataWriter(secret(fields.slice(0, 1)), 'vault-tray')).toBeUndefined()
    expect(lastDataWriter(undefined, 'vault-tray')).toBeUndefined()
  })
})
