import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../tests/unit/manual-clock.ts'
import { WorkQueue, type Outcome } from './queue.ts'

function recordingQueue(clock: ManualClock, behaviour: (key: string) => Promise<Outcome> = async () => {}, concurrency = 2) {
  const runs: string[] = []
  let inFlight = 0
  let maxInFlight = 0
  const queue = new WorkQueue(
    async (key) => {
      runs.push(key)
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      try {
        return await behaviour(key)
      } finally {
        inFlight--
      }
    },
    clock,
    { concurrency },
  )
  return { queue, runs, maxInFlight: () => maxInFlight }
}

describe('WorkQueue', () => {
  it('runs a key once however often it is added while queued', async () => {
    const { queue, runs } = recordingQueue(new ManualClock(), async () => {}, 1)
    queue.add('a')
    queue.add('b')
    queue.add('b')
    queue.add('b')
    await queue.whenIdle()
    expect(runs).toEqual(['a', 'b'])
  })

  it('runs nothing while held, then everything queued meanwhile once released', async () => {
    const runs: string[] = []
    const queue = new WorkQueue(async (key) => void runs.push(key), new ManualClock(), { held: true })
    queue.add('VaultAuth/app/default')
    queue.add('VaultStaticSecret/app/web')
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(runs).toEqual([])
    queue.release()
    await queue.whenIdle()
    expect(runs).toEqual(['VaultAuth/app/default', 'VaultStaticSecret/app/web'])
  })

  it('never runs one key twice at once, and runs it again when it changed mid-run', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const { queue, runs, maxInFlight } = recordingQueue(new ManualClock(), (key) => (runs.length === 1 && key === 'a' ? gate : Promise.resolve()), 4)
    queue.add('a')
    queue.add('a') // while running
    expect(runs).toEqual(['a'])
    release()
    await queue.whenIdle()
    expect(runs).toEqual(['a', 'a'])
    expect(maxInFlight()).toBe(1)
  })

  it('keeps to its concurrency', async () => {
    const { queue, maxInFlight } = recordingQueue(new ManualClock(), () => new Promise((resolve) => setImmediate(resolve)), 3)
    for (let i = 0; i < 20; i++) queue.add(`k${i}`)
    await queue.whenIdle()
    expect(maxInFlight()).toBe(3)
  })

  it('requeues after the delay a handler asks for, and an earlier add wins', async () => {
    const clock = new ManualClock()
    const { queue, runs } = recordingQueue(clock, async () => ({ requeueAfterMs: 10_000 }))
    queue.add('a')
    await queue.whenIdle()
    expect(queue.nextRunAt('a')).toBe(clock.now() + 10_000)
    queue.addAfter('a', 20_000) // later than pending: ignored
    expect(queue.nextRunAt('a')).toBe(clock.now() + 10_000)
    clock.advance(9_999)
    expect(runs).toEqual(['a'])
    clock.advance(1)
    await queue.whenIdle()
    expect(runs).toEqual(['a', 'a'])
  })

  it('backs off exponentially per key after failures, and success clears it', async () => {
    const clock = new ManualClock()
    let fail = true
    const { queue, runs } = recordingQueue(clock, async () => {
      if (fail) throw new Error('vault sealed')
    })
    queue.add('a')
    await queue.whenIdle()
    const first = queue.nextRunAt('a')! - clock.now()
    clock.advance(first)
    await queue.whenIdle()
    const second = queue.nextRunAt('a')! - clock.now()
    expect([first, second]).toEqual([5_000, 7_500]) // random 0.5: no spread
    fail = false
    clock.advance(second)
    await queue.whenIdle()
    expect(runs).toHaveLength(3)
    expect(queue.nextRunAt('a')).toBeUndefined()
    expect(queue.backoffMs(20)).toBe(60_000)
  })

  it('forgets a deleted key: no pending run survives', async () => {
    const clock = new ManualClock()
    const { queue, runs } = recordingQueue(clock, async () => ({ requeueAfterMs: 1_000 }))
    queue.add('a')
    await queue.whenIdle()
    queue.forget('a')
    clock.advance(5_000)
    await queue.whenIdle()
    expect(runs).toEqual(['a'])
  })
})
