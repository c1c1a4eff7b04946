import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { BridgeError, type InspectTarget, type RevealedValue, type VaultTrayApi } from '../../main/contract/index.ts'
import { checkTarget, clipboardGuard, copy, followClipboard, describeChange, formatBytes, hide, hideAll, inspect, load, parseTargetKey, reveal, shownValue, targetKey, type ClipboardLike } from './inspect.svelte.ts'

const VALUE = 'hunter2-not-for-the-dom'

/** A bridge that answers inspection with one key, and counts what it was asked. */
function fakeApi(settings: { clipboardClearSeconds: number } | Error = { clipboardClearSeconds: 3 }, options: { mainCopies?: boolean } = {}): VaultTrayApi & { calls: string[]; push: (channel: string) => void } {
  const calls: string[] = []
  const listeners = new Map<string, (payload: unknown) => void>()
  const revealed: RevealedValue = { key: 'password', encoding: 'utf8', value: VALUE, bytes: VALUE.length, truncated: false }
  const answers: Record<string, (...args: unknown[]) => unknown> = {
    'inspect:keys': (target) => ({ target, keys: [{ key: 'password', bytes: VALUE.length, binary: false }], detail: 'Opaque' }),
    'inspect:reveal': () => revealed,
    // a browser window has no main process to copy for it
    'inspect:copy': (_target, key) => {
      if (!options.mainCopies) throw new BridgeError('unavailable', 'This window copies with its own clipboard access.')
      return { key, encoding: 'utf8', bytes: VALUE.length }
    },
    'settings:get': () => {
      if (settings instanceof Error) throw settings
      return settings
    },
  }
  return {
    calls,
    invoke: (async (channel: string, ...args: unknown[]) => {
      calls.push(channel)
      return answers[channel]!(...args)
    }) as VaultTrayApi['invoke'],
    on: ((channel: string, listener: (payload: unknown) => void) => {
      listeners.set(channel, listener)
      return () => void listeners.delete(channel)
    }) as VaultTrayApi['on'],
    push: (channel) => listeners.get(channel)?.({ kind: 'clipboard' }),
  }
}

/** A clipboard the test can look into. */
function fakeClipboard(): ClipboardLike & { text: string; focused: boolean } {
  const board = {
    text: 'before',
    focused: true,
    async readText() {
      if (!board.focused) throw new DOMException('Document is not focused.', 'NotAllowedError')
      return board.text
    },
    async writeText(text: string) {
      if (!board.focused) throw new DOMException('Document is not focused.', 'NotAllowedError')
      board.text = text
    },
  }
  return board
}

const secret: InspectTarget = { source: 'secret', namespace: 'app', name: 'app-secret' }

describe('inspection targets in the route', () => {
  it('round-trips Secrets and KV paths, mounts with slashes included', () => {
    for (const target of [secret, { source: 'kv', mount: 'secret', path: 'app/config' }, { source: 'kv', mount: 'team/kv', path: 'db' }] as InspectTarget[]) {
      expect(parseTargetKey(targetKey(target))).toEqual(target)
    }
    expect(targetKey({ source: 'kv', mount: 'team/kv', path: 'db' })).toBe('kv:team/kv:db')
  })

  it('names nothing for a malformed key', () => {
    for (const key of [undefined, '', 'secret:only-namespace', 'secret:Bad_NS/x', 'kv:secret', 'kv:secret:../etc', 'file:/etc/passwd']) expect(parseTargetKey(key)).toBeUndefined()
  })

  it('says which field of the form is wrong and what to write', () => {
    expect(checkTarget(secret)).toEqual({})
    expect(Object.keys(checkTarget({ source: 'secret', namespace: 'My NS', name: '' }))).toEqual(['namespace', 'name'])
    expect(checkTarget({ source: 'kv', mount: 'secret', path: 'data/../x' }).path).toMatch(/e\.g\./)
  })
})

describe('what the view shows of values', () => {
  it('formats sizes', () => {
    expect([512, 3277, 1024 * 1024].map(formatBytes)).toEqual(['512 B', '3.2 KiB', '1.0 MiB'])
  })

  it('displays the first few KiB and says it cut the rest', () => {
    const big: RevealedValue = { key: 'k', encoding: 'utf8', value: 'x'.repeat(10_000), bytes: 10_000, truncated: false }
    expect(shownValue(big, 4096)).toEqual({ text: 'x'.repeat(4096), cut: true })
    expect(shownValue({ ...big, value: 'short', bytes: 5 })).toEqual({ text: 'short', cut: false })
  })

  it('describes each version by the keys it changed', () => {
    const base = { version: 2, createdAt: '', deleted: false, destroyed: false, added: [], removed: [], changed: [] }
    expect(describeChange({ ...base, comparedWith: 1, changed: ['password'], added: ['api-key'] })).toBe('Against version 1: changed password; added api-key.')
    expect(describeChange({ ...base, comparedWith: 1 })).toBe('Against version 1: no key changed.')
    expect(describeChange({ ...base, version: 1, added: ['password', 'user'] })).toBe('First version kept: password, user.')
    expect(describeChange({ ...base, deleted: true })).toMatch(/^Deleted/)
  })
})

describe('revealing', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => {
    hideAll()
    vi.useRealTimers()
  })

  it('keeps a value only once revealed, and hides it on Hide and after a while', async () => {
    const api = fakeApi()
    await load(api, secret)
    expect(inspect.result?.keys).toEqual([{ key: 'password', bytes: VALUE.length, binary: false }])
    expect(inspect.loading).toBe(false)
    expect(JSON.stringify(inspect)).not.toContain(VALUE)
    await reveal(api, 'password', 30)
    expect(inspect.revealed.password?.value).toBe(VALUE)
    hide('password')
    expect(JSON.stringify(inspect)).not.toContain(VALUE)
    await reveal(api, 'password', 30)
    await vi.advanceTimersByTimeAsync(29_000)
    expect(inspect.revealed.password).toBeDefined()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(inspect.revealed.password).toBeUndefined()
  })

  it('hides everything when another target is loaded', async () => {
    const api = fakeApi()
    await load(api, secret)
    await reveal(api, 'password')
    await load(api, { source: 'secret', namespace: 'app', name: 'other' })
    expect(inspect.revealed).toEqual({})
  })
})

describe('copying', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('puts the exact value on the clipboard without keeping it in state, and clears it after the set seconds', async () => {
    const api = fakeApi({ clipboardClearSeconds: 3 })
    const clipboard = fakeClipboard()
    await load(api, secret)
    await copy(api, 'password', clipboard)
    expect(clipboard.text).toBe(VALUE)
    expect(JSON.stringify(inspect)).not.toContain(VALUE)
    expect(inspect.copied).toEqual({ key: 'password', base64: false, seconds: 3, cleared: false })
    await vi.advanceTimersByTimeAsync(2_900)
    expect(clipboard.text).toBe(VALUE)
    await vi.advanceTimersByTimeAsync(200)
    expect(clipboard.text).toBe('')
    expect(inspect.copied?.cleared).toBe(true)
  })
})

describe('copying in the Electron shell', () => {
  it('lets the main process copy: the value is never asked for, and its clearing is shown when it says so', async () => {
    const api = fakeApi({ clipboardClearSeconds: 7 }, { mainCopies: true })
    const clipboard = fakeClipboard()
    const stop = followClipboard(api)
    await load(api, secret)
    await copy(api, 'password', clipboard)
    expect(api.calls).not.toContain('inspect:reveal')
    expect(clipboard.text).toBe('before')
    expect(inspect.copied).toEqual({ key: 'password', base64: false, seconds: 7, cleared: false })
    api.push('clipboard:cleared')
    expect(inspect.copied?.cleared).toBe(true)
    stop()
  })
})

describe('the clipboard guard', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('leaves what the user copied afterwards alone', async () => {
    const clipboard = fakeClipboard()
    const guard = clipboardGuard(clipboard, () => {})
    await guard.copy(VALUE, 5)
    clipboard.text = 'something the user copied'
    await vi.advanceTimersByTimeAsync(5_000)
    expect(clipboard.text).toBe('something the user copied')
  })

  it('clears when the window gets the focus back if it had lost it', async () => {
    const clipboard = fakeClipboard()
    let focus: (() => void) | undefined
    const guard = clipboardGuard(clipboard, (retry) => (focus = retry))
    await guard.copy(VALUE, 5)
    clipboard.focused = false
    await vi.advanceTimersByTimeAsync(5_000)
    expect(clipboard.text).toBe(VALUE)
    clipboard.focused = true
    focus!()
    await vi.advanceTimersByTimeAsync(0)
    expect(clipboard.text).toBe('')
  })

  it('falls back to 20 s when the settings cannot be read', async () => {
    const api = fakeApi(new Error('unavailable'))
    await load(api, secret)
    await copy(api, 'password', fakeClipboard())
    expect(inspect.copied?.seconds).toBe(20)
  })
})
