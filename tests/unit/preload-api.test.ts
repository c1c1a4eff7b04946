// The bridge's channel lists and its typed maps must name the same channels, or a channel would exist on
// one side only. These checks fail `npm run typecheck` (tsc reads this file) as well as the test run.
import { describe, expect, expectTypeOf, it } from 'vitest'
import { INVOKE_CHANNELS, PUSH_CHANNELS, type InvokeChannel, type InvokeChannels, type PushChannel, type VaultTrayApi } from '../../preload/api.ts'
import type { HealthReport } from '../../main/engine/engine.ts'

describe('preload/api.ts', () => {
  it('lists every invoke and push channel of the typed maps, once', () => {
    expectTypeOf<(typeof INVOKE_CHANNELS)[number]>().toEqualTypeOf<InvokeChannel>()
    expectTypeOf<(typeof PUSH_CHANNELS)[number]>().toEqualTypeOf<PushChannel>()
    expect(new Set(INVOKE_CHANNELS).size).toBe(INVOKE_CHANNELS.length)
    expect(new Set(PUSH_CHANNELS).size).toBe(PUSH_CHANNELS.length)
  })

  it('types invoke by channel', () => {
    expectTypeOf<ReturnType<InvokeChannels['health:get']>>().toEqualTypeOf<HealthReport>()
    expectTypeOf<VaultTrayApi['invoke']>().parameter(0).toEqualTypeOf<InvokeChannel>()
  })
})
