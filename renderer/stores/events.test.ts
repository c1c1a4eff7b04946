import { describe, expect, it } from 'vitest'
import type { EngineLogEntry, EventsPage, VaultTrayApi } from '../../main/contract/index.ts'
import { addPage, eventPuller, eventStore, filterFromQuery, matcher, queryFromFilter, toJsonLines, visibleRange } from './events.svelte.ts'

const entry = (seq: number, extra: Partial<EngineLogEntry> = {}): EngineLogEntry => ({ seq, at: 1_000 + seq, source: 'sync', severity: 'info', message: `event ${seq}`, ...extra })
const page = (events: EngineLogEntry[], first: number, last: number): EventsPage => ({ events, first, last })

describe('the events store helpers', () => {
  it('adds pages after the last seq, keeps the newest, and counts what the ring dropped in between', () => {
    let kept = addPage({ entries: [], last: 0, missed: 0 }, page([entry(1), entry(2)], 1, 5), 3)
    expect(kept).toMatchObject({ last: 2, missed: 0, more: true, restart: false })
    kept = addPage(kept, page([entry(3), entry(4), entry(5)], 1, 5), 3)
    expect(kept.entries.map((e) => e.seq)).toEqual([3, 4, 5])
    expect(kept.more).toBe(false)
    // seq 6..9 fell out of the engine's ring before this pull
    kept = addPage(kept, page([entry(10)], 10, 10), 3)
    expect(kept).toMatchObject({ last: 10, missed: 4 })
  })

  it('starts over when the engine restarted (its newest seq is below ours)', () => {
    const kept = addPage({ entries: [entry(1), entry(2)], last: 2, missed: 0 }, page([], 1, 1))
    expect(kept).toMatchObject({ entries: [], last: 0, restart: true, more: true })
  })

  it('filters by source, least severity, namespace, resource and text in any case', () => {
    const all = [
      entry(1, { source: 'kubernetes', severity: 'warning', namespace: 'app', resource: 'VaultStaticSecret/app/db', message: 'VaultClientError: 403' }),
      entry(2, { severity: 'error', namespace: 'web', resource: 'VaultStaticSecret/web/api', message: 'failing' }),
      entry(3, { source: 'proxy', message: 'GET /v1/kv/data/app 200 HIT' }),
    ]
    const seqs = (query: Record<string, string>) => all.filter(matcher(filterFromQuery(query))).map((e) => e.seq)
    expect(seqs({})).toEqual([1, 2, 3])
    expect(seqs({ source: 'proxy' })).toEqual([3])
    expect(seqs({ severity: 'warning' })).toEqual([1, 2])
    expect(seqs({ severity: 'error' })).toEqual([2])
    expect(seqs({ namespace: 'app' })).toEqual([1])
    expect(seqs({ resource: 'VaultStaticSecret/web/api' })).toEqual([2])
    expect(seqs({ q: 'vaultclient' })).toEqual([1])
    expect(seqs({ q: 'WEB/API' })).toEqual([2])
    expect(seqs({ source: 'nonsense', severity: 'loud' })).toEqual([1, 2, 3])
  })

  it('writes the filter back to the same query', () => {
    const query = { resource: 'VaultStaticSecret/app/db', source: 'kubernetes', severity: 'warning', namespace: 'app', q: '403' }
    expect(queryFromFilter(filterFromQuery(query))).toEqual(query)
  })

  it('exports one parseable entry per line', () => {
    const lines = toJsonLines([entry(1), entry(2, { message: 'with\nnewline' })]).split('\n')
    expect(lines.at(-1)).toBe('')
    expect(lines.slice(0, -1).map((line) => JSON.parse(line) as EngineLogEntry)).toEqual([entry(1), entry(2, { message: 'with\nnewline' })])
  })

  it('finds the rows in view, with a margin, within the list', () => {
    expect(visibleRange(0, 300, 30, 100_000, 5)).toEqual({ start: 0, end: 15 })
    expect(visibleRange(30_000, 300, 30, 100_000, 5)).toEqual({ start: 995, end: 1015 })
    expect(visibleRange(2_999_700, 300, 30, 100_000, 5)).toEqual({ start: 99_985, end: 100_000 })
    expect(visibleRange(0, 300, 30, 0)).toEqual({ start: 0, end: 0 })
  })
})

describe('the event puller', () => {
  it('pulls page after page until caught up, one request at a time however many hints arrive', async () => {
    const log = Array.from({ length: 25_000 }, (_, i) => entry(i + 1))
    let inFlight = 0
    let most = 0
    const api = {
      invoke: async (_channel: string, after: number, limit: number) => {
        most = Math.max(most, ++inFlight)
        await new Promise((resolve) => setTimeout(resolve, 5))
        inFlight--
        return page(log.slice(after, after + limit), 1, log.length)
      },
      on: () => () => {},
    } as unknown as VaultTrayApi
    const pull = eventPuller(api)
    await Promise.all([pull(), pull(), pull()])
    expect(most).toBe(1)
    expect(eventStore.entries.length).toBe(25_000)
    expect(eventStore.last).toBe(25_000)
    expect(eventStore.entries.at(-1)).toEqual(log.at(-1))
  })
})
