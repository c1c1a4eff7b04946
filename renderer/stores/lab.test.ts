import { describe, expect, it } from 'vitest'
import type { LabView } from '../../main/contract/index.ts'
import { describeDuration, exportsLine, labSummary, stepLabel, stepTone } from './lab.svelte.ts'

const steps = (states: LabView['steps'][number]['state'][]): LabView['steps'] => states.map((state, index) => ({ id: `s${index}`, title: `Step ${index}`, state }))
const view = (extra: Partial<LabView>): LabView => ({ exists: true, healthy: false, running: false, dir: '/lab', steps: steps(['pending', 'pending']), warnings: [], ...extra })

describe('the lab store helpers', () => {
  it('gives each step state a tone and a label', () => {
    expect(stepTone('failed')).toBe('error')
    expect(stepTone('done')).toBe('ok')
    expect(stepTone('running')).toBe('busy')
    expect(stepLabel('skipped')).toBe('Not run')
  })

  it('says in one line where the lab stands', () => {
    expect(labSummary(view({ running: true, steps: steps(['done', 'running', 'pending']) }))).toEqual({ label: 'Setting up: 1 of 3 steps done', tone: 'busy' })
    expect(labSummary(view({ steps: steps(['done', 'failed']) })).tone).toBe('error')
    expect(labSummary(view({ error: 'the lock is held' })).tone).toBe('error')
    expect(labSummary(view({ healthy: true, steps: steps(['done', 'done']) }))).toEqual({ label: 'Up and healthy', tone: 'ok' })
    expect(labSummary(view({ exists: false }))).toEqual({ label: 'Not set up', tone: 'muted' })
    expect(labSummary(view({ vaultAddress: 'http://127.0.0.1:8200', steps: steps(['done', 'pending']) })).tone).toBe('warn')
  })

  it('prints durations in seconds, and minutes past one', () => {
    expect(describeDuration(undefined)).toBe('')
    expect(describeDuration(420)).toBe('0.4 s')
    expect(describeDuration(65_000)).toBe('1 min 05 s')
  })

  it('exports the address and the kubeconfig, and never a token', () => {
    expect(exportsLine(view({ vaultAddress: 'http://127.0.0.1:8200', kubeconfig: '/lab/kube/kubeconfig' }))).toBe('export VAULT_ADDR=http://127.0.0.1:8200 KUBECONFIG=/lab/kube/kubeconfig')
    expect(exportsLine(view({}))).toBeUndefined()
  })
})
