import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runSteps, type Step, type StepEvent } from './runner.ts'
import type { StepId } from './state.ts'

const dir = mkdtempSync(join(tmpdir(), 'vault-tray-runner-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const logFile = (id: StepId) => join(dir, `${id}.log`)

type Work = (handle: Parameters<Step<null>['run']>[0]) => Promise<void>
const step = (id: StepId, needs: StepId[], work: Work = async () => {}): Step<null> => ({ id, title: id, needs, run: (handle) => work(handle) })
const tick = () => new Promise((resolve) => setTimeout(resolve, 5))

describe('runSteps', () => {
  it('starts a step once what it needs is done, and independent steps side by side', async () => {
    const order: string[] = []
    const track = (id: string): Work => async () => {
      order.push(`${id}+`)
      await tick()
      order.push(`${id}-`)
    }
    const result = await runSteps([step('sync', ['vault', 'cluster'], track('sync')), step('vault', [], track('vault')), step('cluster', [], track('cluster'))], null, { logFile })
    expect(result.ok).toBe(true)
    expect(order.slice(0, 2).sort()).toEqual(['cluster+', 'vault+'])
    expect(order.indexOf('sync+')).toBeGreaterThan(Math.max(order.indexOf('vault-'), order.indexOf('cluster-')))
  })

  it('skips only what depends on a failed step, says why, and logs the failure', async () => {
    const events: StepEvent[] = []
    const result = await runSteps(
      [
        step('sync', ['static']),
        step('static', ['vault'], async () => {
          throw new Error('Vault refused the connection')
        }),
        step('vault', []),
        step('postgres', []),
      ],
      null,
      { logFile, onEvent: (event) => events.push(event) },
    )
    expect(result.ok).toBe(false)
    const byId = Object.fromEntries(result.outcomes.map((outcome) => [outcome.id, outcome]))
    expect(byId.postgres?.kind).toBe('done')
    expect(byId.static).toMatchObject({ kind: 'failed', error: 'Vault refused the connection', logs: [logFile('static')] })
    expect(byId.sync).toEqual({ kind: 'skipped', id: 'sync', title: 'sync', reason: 'needs “static”, which failed' })
    expect(readFileSync(logFile('static'), 'utf8')).toMatch(/failed: Vault refused the connection\n$/)
    expect(events.filter((event) => event.kind === 'start').map((event) => event.id).sort()).toEqual(['postgres', 'static', 'vault'])
  })

  it('in a dry run, reports what would change and does not judge what depends on it', async () => {
    const result = await runSteps([step('resources', ['crds']), step('crds', [], async (handle) => handle.changed('install VaultAuth'))], null, { logFile, dryRun: true })
    expect(result.outcomes).toEqual([
      expect.objectContaining({ id: 'crds', kind: 'done', changes: ['install VaultAuth'] }),
      { kind: 'skipped', id: 'resources', title: 'resources', reason: 'needs “crds”, which is not as it should be yet' },
    ])
  })

  it('once interrupted, starts nothing new and lets a step stop at its next checkpoint', async () => {
    const abort = new AbortController()
    const result = await runSteps(
      [
        step('vault', [], async (handle) => {
          abort.abort()
          handle.checkpoint()
        }),
        step('static', ['vault']),
      ],
      null,
      { logFile, signal: abort.signal },
    )
    expect(result.interrupted).toBe(true)
    expect(result.outcomes).toHaveLength(2)
    expect(result.outcomes).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'vault', kind: 'failed', error: 'interrupted before it finished' }), { kind: 'skipped', id: 'static', title: 'static', reason: 'interrupted' }]))
  })
})
