import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ClipboardKeeper, type SystemClipboard } from './clipboard.ts'

class FakeClipboard implements SystemClipboard {
  text = ''
  readText = () => this.text
  writeText = (text: string) => void (this.text = text)
}

describe('ClipboardKeeper', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('clears the value after the time it was given, and says so', async () => {
    const clipboard = new FakeClipboard()
    const cleared = vi.fn()
    await new ClipboardKeeper(clipboard, cleared).copy('s3cret', 20)
    await vi.advanceTimersByTimeAsync(19_999)
    expect(clipboard.text).toBe('s3cret')
    await vi.advanceTimersByTimeAsync(1)
    expect(clipboard.text).toBe('')
    expect(cleared).toHaveBeenCalledOnce()
  })

  it('leaves alone what the user copied meanwhile', async () => {
    const clipboard = new FakeClipboard()
    await new ClipboardKeeper(clipboard, () => {}).copy('s3cret', 5)
    clipboard.text = 'my own note'
    await vi.advanceTimersByTimeAsync(5_000)
    expect(clipboard.text).toBe('my own note')
  })

  it('a second copy restarts the time and clears only the newer value; flush clears at once', async () => {
    const clipboard = new FakeClipboard()
    const cleared = vi.fn()
    const keeper = new ClipboardKeeper(clipboard, cleared)
    await keeper.copy('first', 5)
    await vi.advanceTimersByTimeAsync(4_000)
    await keeper.copy('second', 5)
    await vi.advanceTimersByTimeAsync(4_000)
    expect(clipboard.text).toBe('second')
    await keeper.flush()
    expect(clipboard.text).toBe('')
    await vi.advanceTimersByTimeAsync(10_000)
    expect(cleared).toHaveBeenCalledOnce()
  })
})
