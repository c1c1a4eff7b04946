import { expect, it } from 'vitest'
import { withDefaults } from './options.ts'

interface Options {
  renewalPercent?: number
  retryMs?: number
}

it('keeps a default when the option is missing or undefined, and takes any given value', () => {
  const defaults = { renewalPercent: 67, retryMs: 5_000 }
  expect(withDefaults<Options>(defaults, { renewalPercent: undefined })).toEqual({ renewalPercent: 67, retryMs: 5_000 })
  expect(withDefaults<Options>(defaults, { renewalPercent: 0, retryMs: 10 })).toEqual({ renewalPercent: 0, retryMs: 10 })
})
