// The one-click lab from the window: lab:status looks (labStatus, a dry run that changes nothing), lab:up sets it up
// in the background, one run at a time. Each step's progress goes on the engine's bus as 'lab' (the Events view
// lists it) and as a lab:changed hint; while a run is under way lab:status answers with its live steps.
import { BridgeError, type InvokeHandlers, type LabView } from '../../contract/index.ts'
import { labStatus, labUp, type LabStatusResult } from '../../engine/lab/lab.ts'
import type { StepEvent, StepOutcome } from '../../engine/lab/runner.ts'
import type { StepId } from '../../engine/lab/state.ts'
import { STEP_TITLES } from '../../engine/lab/steps.ts'
import type { BridgeContext, BridgePart } from './context.ts'

type LabStepView = LabView['steps'][number]

/** Every step, in the order `up` lists them, before anything is known about it. */
function pendingSteps(): LabStepView[] {
  return (Object.entries(STEP_TITLES) as [StepId, string][]).map(([id, title]) => ({ id, title, state: 'pending' }))
}

/** A step as a run reported it: what it changed, its error, or why it did not run. */
function fromRunEvent(event: StepEvent): LabStepView {
  switch (event.kind) {
    case 'start':
      return { id: event.id, title: event.title, state: 'running' }
    case 'done':
      return { id: event.id, title: event.title, state: 'done', ms: event.ms, detail: event.changes.length ? event.changes.join('; ') : 'unchanged' }
    case 'failed':
      return { id: event.id, title: event.title, state: 'failed', ms: event.ms, detail: event.error }
    case 'skipped':
      return { id: event.id, title: event.title, state: 'skipped', detail: `not run: ${event.reason}` }
  }
}

/** A step as the dry run of lab:status judged it: as it should be, or what `up` would still do. */
function fromDryRun(outcome: StepOutcome): LabStepView {
  if (outcome.kind === 'done' && outcome.changes.length) return { id: outcome.id, title: outcome.title, state: 'pending', detail: `Set up the lab to: ${outcome.changes.join('; ')}` }
  if (outcome.kind === 'done') return { id: outcome.id, title: outcome.title, state: 'done', detail: 'as it should be' }
  if (outcome.kind === 'skipped') return { id: outcome.id, title: outcome.title, state: 'pending', detail: `waits: ${outcome.reason}` }
  return { id: outcome.id, title: outcome.title, state: 'failed', detail: outcome.error }
}

/** The steps in their fixed order, each replaced by what is known of it. */
function ordered(known: Map<string, LabStepView>): LabStepView[] {
  return pendingSteps().map((step) => known.get(step.id) ?? step)
}

export function labPart({ engine, env, labDir }: BridgeContext): BridgePart<Pick<InvokeHandlers, 'lab:status' | 'lab:up'>> {
  /** The steps of the run under way, or of the last run from this window, by id. */
  let run: { running: boolean; steps: Map<string, LabStepView>; error?: string; warnings: string[] } | undefined
  const finished = new Set<() => void>()
  /** The run under way: stopping the daemon interrupts it between two operations, as Ctrl-C does `lab up`. */
  let underWay: { abort: AbortController; done: Promise<void> } | undefined

  const view = (status: LabStatusResult | undefined): LabView => {
    const fromStatus = new Map((status?.outcomes ?? []).map((outcome) => [outcome.id, fromDryRun(outcome)]))
    // the last run says more (durations, what changed) than the dry run, unless that run did not finish well
    const steps = run && (run.running || !status?.healthy) ? run.steps : run ? new Map([...fromStatus, ...run.steps]) : fromStatus
    return {
      exists: status?.exists ?? true,
      healthy: status?.healthy ?? false,
      running: run?.running ?? false,
      dir: status?.dir ?? labDir,
      vaultAddress: status?.vaultAddress,
      kubeconfig: status?.kubeconfig,
      steps: ordered(steps),
      error: run?.error,
      warnings: [...new Set([...(status?.warnings ?? []), ...(run?.warnings ?? [])])],
    }
  }

  return {
    handlers: {
      // a dry run while `up` works would race it for the lock and judge half-made steps: the live steps say more
      'lab:status': async () => view(run?.running ? undefined : await labStatus({ dir: labDir, env })),
      'lab:up': async () => {
        if (run?.running) throw new BridgeError('unavailable', 'The lab is being set up already: wait until its steps finish, then set it up again if one failed.')
        const current: NonNullable<typeof run> = { running: true, steps: new Map(), warnings: [] }
        run = current
        const onEvent = (event: StepEvent) => {
          current.steps.set(event.id, fromRunEvent(event))
          engine.events.emit('lab', event)
        }
        const abort = new AbortController()
        const done = labUp({ dir: labDir, env, onEvent, signal: abort.signal })
          .then(
            (result) => {
              current.warnings = result.warnings
              if (result.interrupted) current.error = 'The lab was interrupted before it finished: set it up again to finish the job.'
              else if (!result.ok) current.error = `The lab is not up: ${result.outcomes.filter((o) => o.kind === 'failed').map((o) => `“${o.title}”`).join(', ')} failed. Its log is in ${result.dir}/logs; once that is fixed, set it up again to finish the job.`
            },
            (error: unknown) => {
              current.error = (error as Error).message
            },
          )
          .finally(() => {
            current.running = false
            underWay = undefined
            finished.forEach((notify) => notify())
          })
        underWay = { abort, done }
      },
    },
    async stop() {
      underWay?.abort.abort()
      await underWay?.done
    },
    subscribe(push) {
      const notify = () => push('lab:changed', { kind: 'lab' })
      finished.add(notify)
      const off = engine.events.on('lab', notify)
      return () => {
        off()
        finished.delete(notify)
      }
    },
  }
}
