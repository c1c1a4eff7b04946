// The command palette (Ctrl+K / Cmd+K): every view, and for each synced resource what can be done to it, filtered as
// the user types. Commands are data; the palette runs them (navigate, or a sync command through the API).
import type { SyncRecord } from '../../main/contract/index.ts'
import type { Route, View } from './route.svelte.ts'

export const palette = $state({ open: false })

export type PaletteAction = { kind: 'navigate'; route: Route } | { kind: 'sync-now'; key: string } | { kind: 'pause'; key: string; paused: boolean }

export interface PaletteCommand {
  /** Unique among the commands: the option's DOM id is made from it. */
  id: string
  label: string
  /** What the command is about, shown after the label and matched too: a view, or a resource. */
  group: 'View' | 'Resource'
  shortcut?: string
  action: PaletteAction
}

/** Alt+1 … Alt+9 for the views, in the order of the navigation. */
export function viewShortcut(index: number): string | undefined {
  return index < 9 ? `Alt+${index + 1}` : undefined
}

/** The view a key press goes to: Alt with a digit 1–9 (by physical key, as macOS turns Alt+1 into "¡"). */
export function viewForKey(event: Pick<KeyboardEvent, 'altKey' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'code'>, views: readonly { view: View }[]): View | undefined {
  if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return undefined
  const digit = /^(?:Digit|Numpad)([1-9])$/.exec(event.code)?.[1]
  return digit ? views[Number(digit) - 1]?.view : undefined
}

/** Ctrl+K, or Cmd+K on macOS. */
export function isPaletteKey(event: Pick<KeyboardEvent, 'altKey' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'key'>): boolean {
  return (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === 'k'
}

export function paletteCommands(views: readonly { view: View; label: string }[], records: readonly SyncRecord[]): PaletteCommand[] {
  const commands: PaletteCommand[] = views.map((item, index) => ({
    id: `view-${item.view}`,
    label: `Go to ${item.label}`,
    group: 'View',
    shortcut: viewShortcut(index),
    action: { kind: 'navigate', route: { view: item.view } },
  }))
  for (const record of records) {
    const name = `${record.kind} ${record.namespace}/${record.name}`
    const id = (what: string) => `${what}-${record.key.replace(/[^A-Za-z0-9-]/g, '_')}`
    commands.push({ id: id('sync'), label: `Sync now ${name}`, group: 'Resource', action: { kind: 'sync-now', key: record.key } })
    commands.push(
      record.control.paused
        ? { id: id('resume'), label: `Resume ${name}`, group: 'Resource', action: { kind: 'pause', key: record.key, paused: false } }
        : { id: id('pause'), label: `Pause ${name}`, group: 'Resource', action: { kind: 'pause', key: record.key, paused: true } },
    )
    commands.push({ id: id('why'), label: `Why not synced ${name}`, group: 'Resource', action: { kind: 'navigate', route: { view: 'why', key: record.key } } })
    if (record.destination) {
      commands.push({
        id: id('inspect'),
        label: `Inspect Secret ${record.namespace}/${record.destination}`,
        group: 'Resource',
        action: { kind: 'navigate', route: { view: 'inspect', key: `secret:${record.namespace}/${record.destination}` } },
      })
    }
    commands.push({ id: id('events'), label: `Events of ${name}`, group: 'Resource', action: { kind: 'navigate', route: { view: 'events', query: { resource: record.key } } } })
  }
  return commands
}

/**
 * How well a label matches what was typed, higher is better; undefined when it does not. Every word typed must be
 * in the label: as a whole word (best), at the start of one, anywhere in it, or as letters in order ("snow" finds
 * "Sync now"). Ties keep the commands' own order: the views first, as in the navigation.
 */
export function matchScore(query: string, label: string): number | undefined {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean)
  const text = label.toLowerCase()
  if (words.length === 0) return 0
  let score = 0
  for (const word of words) {
    const at = text.indexOf(word)
    if (at >= 0) {
      const startsWord = at === 0 || /[\s/:.-]/.test(text[at - 1]!)
      const endsWord = at + word.length === text.length || /[\s/:.-]/.test(text[at + word.length]!)
      score += startsWord ? (endsWord ? 100 : 60) : 30
      if (at === 0) score += 10
      continue
    }
    const gaps = subsequenceGaps(word, text)
    if (gaps === undefined) return undefined
    score += Math.max(1, 20 - gaps)
  }
  return score
}

/** How many letters lie between the word's letters when found in order in the text; undefined when they are not. */
function subsequenceGaps(word: string, text: string): number | undefined {
  let from = text.indexOf(word[0]!)
  if (from < 0) return undefined
  let gaps = 0
  for (const letter of word.slice(1)) {
    const next = text.indexOf(letter, from + 1)
    if (next < 0) return undefined
    gaps += next - from - 1
    from = next
  }
  return gaps
}

/** The commands that match, best first; all of them, in their order, for an empty query. */
export function rankCommands(query: string, commands: readonly PaletteCommand[]): PaletteCommand[] {
  if (!query.trim()) return [...commands]
  return commands
    .map((command, index) => ({ command, index, score: matchScore(query, command.label) }))
    .filter((entry): entry is { command: PaletteCommand; index: number; score: number } => entry.score !== undefined)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map((entry) => entry.command)
}
