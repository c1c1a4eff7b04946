// The engine's event log as the window keeps it: pulled page by page from the last seq seen whenever an
// events:appended hint arrives, on every view, so the Events view opens with what happened meanwhile. The
// list is a non-deep ($state.raw) array: 100,000 entries are replaced, never proxied one by one.
import type { EngineLogEntry, EventsPage, VaultTrayApi } from '../../main/contract/index.ts'
import type { Tone } from './health.svelte.ts'

export type Source = EngineLogEntry['source']
export type Severity = EngineLogEntry['severity']

/** As many as the engine's ring keeps. */
export const KEEP = 100_000
const PAGE = 10_000

export const SOURCES: { source: Source; label: string }[] = [
  { source: 'sync', label: 'Sync' },
  { source: 'rotation', label: 'Rotation' },
  { source: 'renewal', label: 'Renewal' },
  { source: 'vault', label: 'Vault' },
  { source: 'kubernetes', label: 'Kubernetes' },
  { source: 'proxy', label: 'Proxy' },
  { source: 'lab', label: 'Lab' },
  { source: 'engine', label: 'Engine' },
]
const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 }
const TONES: Record<Severity, Tone> = { info: 'muted', warning: 'warn', error: 'error' }
const LABELS: Record<Severity, string> = { info: 'Info', warning: 'Warning', error: 'Error' }

export const severityTone = (severity: Severity): Tone => TONES[severity]
export const severityLabel = (severity: Severity): string => LABELS[severity]

class EventStore {
  entries = $state.raw<EngineLogEntry[]>([])
  /** Namespaces seen so far, sorted, for the namespace filter. */
  namespaces = $state.raw<string[]>([])
  /** The newest seq pulled. */
  last = $state(0)
  /** Entries the engine's ring dropped before the window could pull them. */
  missed = $state(0)
  error = $state<string | undefined>()
}

export const eventStore = new EventStore()

/** What the list shows: `severity` is the least severe shown; `text` matches message or resource, any case. */
export interface EventFilter {
  source?: Source
  severity?: Severity
  namespace?: string
  resource?: string
  text?: string
}

export function isFiltered(filter: EventFilter): boolean {
  return Boolean(filter.source || filter.severity || filter.namespace || filter.resource || filter.text)
}

/** A test for one entry; built once per filter change, run on every entry. */
export function matcher(filter: EventFilter): (entry: EngineLogEntry) => boolean {
  const text = filter.text?.toLowerCase()
  const least = filter.severity ? RANK[filter.severity] : 0
  return (entry) =>
    (!filter.source || entry.source === filter.source) &&
    RANK[entry.severity] >= least &&
    (!filter.namespace || entry.namespace === filter.namespace) &&
    (!filter.resource || entry.resource === filter.resource) &&
    (!text || entry.message.toLowerCase().includes(text) || (entry.resource?.toLowerCase().includes(text) ?? false))
}

/** The filter a route's query asks for (#/events?resource=Kind/ns/name&source=…&severity=…&namespace=…&q=…); unknown values are ignored. */
export function filterFromQuery(query: Record<string, string>): EventFilter {
  const filter: EventFilter = {}
  if (SOURCES.some((item) => item.source === query.source)) filter.source = query.source as Source
  if (query.severity && query.severity in RANK) filter.severity = query.severity as Severity
  if (query.namespace) filter.namespace = query.namespace
  if (query.resource) filter.resource = query.resource
  if (query.q) filter.text = query.q
  return filter
}

export function queryFromFilter(filter: EventFilter): Record<string, string> {
  const query: Record<string, string> = {}
  if (filter.resource) query.resource = filter.resource
  if (filter.source) query.source = filter.source
  if (filter.severity) query.severity = filter.severity
  if (filter.namespace) query.namespace = filter.namespace
  if (filter.text) query.q = filter.text
  return query
}

/** One EngineLogEntry per line, as the export writes them. */
export function toJsonLines(entries: readonly EngineLogEntry[]): string {
  return entries.map((entry) => `${JSON.stringify(entry)}\n`).join('')
}

/** The rows of a fixed-height list that a viewport shows, plus a few either side so scrolling does not flash. */
export function visibleRange(scrollTop: number, viewportHeight: number, rowHeight: number, count: number, overscan = 8): { start: number; end: number } {
  const start = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan)
  const end = Math.min(count, Math.ceil((scrollTop + viewportHeight) / rowHeight) + overscan)
  return { start, end: Math.max(start, end) }
}

/** "14:03:07.123", local time. */
export function formatTime(at: number): string {
  const time = new Date(at)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(time.getHours())}:${two(time.getMinutes())}:${two(time.getSeconds())}.${String(time.getMilliseconds()).padStart(3, '0')}`
}

export interface Kept {
  entries: EngineLogEntry[]
  last: number
  missed: number
}

/**
 * Adds a page from events:since to what the window keeps. A page whose newest seq is below ours comes from a
 * restarted engine: everything starts over (`restart`). `more` says the engine has entries past this page.
 */
export function addPage(kept: Kept, page: EventsPage, keep = KEEP): Kept & { restart: boolean; more: boolean } {
  if (page.last < kept.last) return { entries: [], last: 0, missed: 0, restart: true, more: page.last > 0 }
  if (page.events.length === 0) return { ...kept, restart: false, more: false }
  const missed = kept.missed + Math.max(0, page.events[0]!.seq - kept.last - 1)
  const joined = kept.entries.length === 0 ? page.events : kept.entries.concat(page.events)
  const entries = joined.length > keep ? joined.slice(joined.length - keep) : joined
  const last = page.events.at(-1)!.seq
  return { entries, last, missed, restart: false, more: last < page.last }
}

function addNamespaces(known: string[], added: readonly EngineLogEntry[]): string[] {
  let set: Set<string> | undefined
  for (const entry of added) {
    if (!entry.namespace || known.includes(entry.namespace) || set?.has(entry.namespace)) continue
    ;(set ??= new Set(known)).add(entry.namespace)
  }
  return set ? [...set].sort() : known
}

/**
 * Pulls whatever is new; while a pull runs, further hints only mark that another is due, so a stream of hints
 * costs one request at a time (a debounce would starve while the engine keeps writing).
 */
export function eventPuller(api: VaultTrayApi): () => Promise<void> {
  let running: Promise<void> | undefined
  let again = false
  const run = async () => {
    do {
      again = false
      const page = await api.invoke('events:since', eventStore.last, PAGE)
      const next = addPage({ entries: eventStore.entries, last: eventStore.last, missed: eventStore.missed }, page)
      eventStore.entries = next.entries
      eventStore.last = next.last
      eventStore.missed = next.missed
      eventStore.namespaces = next.restart ? [] : addNamespaces(eventStore.namespaces, page.events)
      again ||= next.more
    } while (again)
  }
  return () => {
    if (running) {
      again = true
      return running
    }
    running = run()
      .then(() => (eventStore.error = undefined))
      .catch((error: Error) => void (eventStore.error = error.message))
      .finally(() => (running = undefined))
    return running
  }
}

/** Collects the engine's events while the window lives; returns refresh (on every reconnect) and stop. */
export function followEvents(api: VaultTrayApi): { refresh: () => void; stop: () => void } {
  const pull = eventPuller(api)
  const off = api.on('events:appended', () => void pull())
  return { refresh: () => void pull(), stop: off }
}
