import { describe, expect, it } from 'vitest'
import type { SyncRecord } from '../../main/contract/index.ts'
import { isPaletteKey, matchScore, paletteCommands, rankCommands, viewForKey } from './palette.svelte.ts'
import { VIEWS } from './route.svelte.ts'

const record = (namespace: string, name: string, extra: Partial<SyncRecord> = {}): SyncRecord => ({
  key: `VaultStaticSecret/${namespace}/${name}`,
  kind: 'VaultStaticSecret',
  namespace,
  name,
  destination: `${name}-secret`,
  state: 'synced',
  message: 'synced',
  drift: false,
  control: { paused: false, once: false },
  ...extra,
})

const key = (code: string, modifiers: Partial<KeyboardEvent> = {}) => ({ altKey: false, ctrlKey: false, metaKey: false, shiftKey: false, code, key: '', ...modifiers })

describe('the palette commands', () => {
  const commands = paletteCommands(VIEWS, [record('app', 'web'), record('team', 'db', { control: { paused: true, once: false }, destination: undefined })])

  it('offers every view with its Alt shortcut in the order of the navigation', () => {
    const views = commands.filter((command) => command.group === 'View')
    expect(views.map((command) => [command.label, command.shortcut])).toEqual(VIEWS.map((item, index) => [`Go to ${item.label}`, `Alt+${index + 1}`]))
  })

  it('offers for each resource sync now, pause or resume as it stands, why, its Secret and its events', () => {
    const web = commands.filter((command) => command.label.endsWith('app/web') || command.label.endsWith('app/web-secret'))
    expect(web.map((command) => command.label)).toEqual([
      'Sync now VaultStaticSecret app/web',
      'Pause VaultStaticSecret app/web',
      'Why not synced VaultStaticSecret app/web',
      'Inspect Secret app/web-secret',
      'Events of VaultStaticSecret app/web',
    ])
    expect(web.map((command) => command.action)).toEqual([
      { kind: 'sync-now', key: 'VaultStaticSecret/app/web' },
      { kind: 'pause', key: 'VaultStaticSecret/app/web', paused: true },
      { kind: 'navigate', route: { view: 'why', key: 'VaultStaticSecret/app/web' } },
      { kind: 'navigate', route: { view: 'inspect', key: 'secret:app/web-secret' } },
      { kind: 'navigate', route: { view: 'events', query: { resource: 'VaultStaticSecret/app/web' } } },
    ])
    // paused: Resume instead of Pause; no destination: nothing to inspect
    const db = commands.filter((command) => command.label.includes('team/db')).map((command) => command.label)
    expect(db).toContain('Resume VaultStaticSecret team/db')
    expect(db).not.toContain('Pause VaultStaticSecret team/db')
    expect(db.some((label) => label.startsWith('Inspect'))).toBe(false)
  })

  it('gives every command an id of its own that is fit for a DOM id', () => {
    const ids = commands.map((command) => command.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]+$/)
  })
})

describe('ranking as the user types', () => {
  const commands = paletteCommands(VIEWS, [record('app', 'web'), record('app', 'secrets-store')])
  const labels = (query: string) => rankCommands(query, commands).map((command) => command.label)

  it('keeps every command in order for an empty query', () => {
    expect(labels('  ')).toEqual(commands.map((command) => command.label))
  })

  it('needs every word typed, in any order', () => {
    // "synced" starts with "sync" too, but a whole word ranks first
    expect(labels('sync web')).toEqual(['Sync now VaultStaticSecret app/web', 'Why not synced VaultStaticSecret app/web'])
    expect(labels('web sync')).toEqual(['Sync now VaultStaticSecret app/web', 'Why not synced VaultStaticSecret app/web'])
    expect(labels('sync now secrets-store')).toEqual(['Sync now VaultStaticSecret app/secrets-store'])
    expect(labels('zzz')).toEqual([])
  })

  it('puts a whole-word match first, and the views before resources on a tie', () => {
    expect(labels('secrets')[0]).toBe('Go to Secrets')
    expect(labels('lab')[0]).toBe('Go to Lab')
    expect(labels('go to').slice(0, 3)).toEqual(['Go to Overview', 'Go to Secrets', 'Go to Why not synced'])
  })

  it('finds letters typed in order, below a match of the word itself', () => {
    expect(matchScore('snow', 'Sync now VaultStaticSecret app/web')).toBeGreaterThan(0)
    expect(matchScore('snow', 'Go to Overview')).toBeUndefined()
    expect(matchScore('leases', 'Go to Leases')!).toBeGreaterThan(matchScore('lss', 'Go to Leases')!)
  })

  it('ignores case', () => {
    expect(labels('EVENTS WEB')).toEqual(['Events of VaultStaticSecret app/web'])
  })
})

describe('the keyboard shortcuts', () => {
  it('maps Alt+1 … Alt+9 to the views by physical key, and nothing else', () => {
    expect(viewForKey(key('Digit1', { altKey: true }), VIEWS)).toBe('overview')
    expect(viewForKey(key('Digit2', { altKey: true }), VIEWS)).toBe('secrets')
    expect(viewForKey(key('Numpad9', { altKey: true }), VIEWS)).toBe('lab')
    expect(viewForKey(key('Digit0', { altKey: true }), VIEWS)).toBeUndefined()
    expect(viewForKey(key('Digit2'), VIEWS)).toBeUndefined()
    expect(viewForKey(key('Digit2', { altKey: true, ctrlKey: true }), VIEWS)).toBeUndefined()
  })

  it('opens the palette on Ctrl+K and Cmd+K only', () => {
    expect(isPaletteKey(key('KeyK', { ctrlKey: true, key: 'k' }))).toBe(true)
    expect(isPaletteKey(key('KeyK', { metaKey: true, key: 'K' }))).toBe(true)
    expect(isPaletteKey(key('KeyK', { key: 'k' }))).toBe(false)
    expect(isPaletteKey(key('KeyK', { ctrlKey: true, shiftKey: true, key: 'K' }))).toBe(false)
  })
})
