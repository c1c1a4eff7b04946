// The bridge's channel lists and its typed maps must name the same channels, or a channel would exist on
// one side only. These checks fail `npm run typecheck` (tsc reads this file) as well as the test run.
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  ARGUMENT_CHECKS,
  INVOKE_CHANNELS,
  isInvokeChannel,
  isPushChannel,
  PUSH_CHANNELS,
  type InvokeChannel,
  type InvokeChannels,
  type InvokeHandlers,
  type PushChannel,
  type PushChannels,
  type SyncOverview,
  type HealthReport,
  type SyncRecord,
  type VaultTrayApi,
} from '../../main/contract/index.ts'

describe('the contract (main/contract)', () => {
  it('lists every invoke and push channel of the typed maps, once', () => {
    expectTypeOf<(typeof INVOKE_CHANNELS)[number]>().toEqualTypeOf<InvokeChannel>()
    expectTypeOf<(typeof PUSH_CHANNELS)[number]>().toEqualTypeOf<PushChannel>()
    expect(new Set(INVOKE_CHANNELS).size).toBe(INVOKE_CHANNELS.length)
    expect(new Set(PUSH_CHANNELS).size).toBe(PUSH_CHANNELS.length)
    expect(Object.keys(ARGUMENT_CHECKS).sort()).toEqual([...INVOKE_CHANNELS].sort())
  })

  it('types invoke by channel', () => {
    expectTypeOf<ReturnType<InvokeChannels['health:get']>>().toEqualTypeOf<HealthReport>()
    expectTypeOf<ReturnType<InvokeChannels['sync:records']>>().toEqualTypeOf<SyncOverview>()
    expectTypeOf<SyncOverview['records']>().toEqualTypeOf<SyncRecord[]>()
    expectTypeOf<Parameters<InvokeChannels['sync:now']>>().toEqualTypeOf<[key: string]>()
    expectTypeOf<Parameters<InvokeChannels['sync:pause']>>().toEqualTypeOf<[key: string, paused: boolean]>()
    expectTypeOf<VaultTrayApi['invoke']>().parameter(0).toEqualTypeOf<InvokeChannel>()
    expectTypeOf<InvokeHandlers['sync:pause']>().toEqualTypeOf<(key: string, paused: boolean) => Promise<void>>()
  })

  it('pushes hints, never data: a kind and at most a resource key', () => {
    expectTypeOf<PushChannels['sync:changed']>().toEqualTypeOf<{ kind: 'sync'; key?: string }>()
    expectTypeOf<PushChannels['health:changed']>().toEqualTypeOf<{ kind: 'health' }>()
  })

  it('checks the arguments of each channel', () => {
    expect(ARGUMENT_CHECKS['health:get']([])).toBeUndefined()
    expect(ARGUMENT_CHECKS['health:get'](['x'])).toMatch(/no arguments/)
    expect(ARGUMENT_CHECKS['sync:now'](['VaultStaticSecret/app/db-creds.v1'])).toBeUndefined()
    for (const bad of [[], [1], ['../etc/passwd'], ['VaultStaticSecret/App/x'], ['VaultStaticSecret/app/x', 'extra'], [`VaultStaticSecret/app/${'a'.repeat(400)}`]]) {
      expect(ARGUMENT_CHECKS['sync:now'](bad), JSON.stringify(bad)).toMatch(/resource key/)
    }
    expect(ARGUMENT_CHECKS['sync:pause'](['VaultStaticSecret/app/db', true])).toBeUndefined()
    expect(ARGUMENT_CHECKS['sync:pause'](['VaultStaticSecret/app/db', 'true'])).toMatch(/true or false/)
  })

  it('knows its channels and no others, inherited names included', () => {
    expect(isInvokeChannel('sync:now')).toBe(true)
    expect(isInvokeChannel('toString')).toBe(false)
    expect(isInvokeChannel(42)).toBe(false)
    expect(isPushChannel('sync:changed')).toBe(true)
    expect(isPushChannel('sync:now')).toBe(false)
  })
})
