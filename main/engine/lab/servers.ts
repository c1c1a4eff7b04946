// A server the lab owns, kept running across commands: found again by its recorded pid, restarted when its
// command line should change (a port moved, a binary was upgraded), and started on the ports it had before
// unless another program took them meanwhile.
import { createHash } from 'node:crypto'
import { rmSync } from 'node:fs'
import { commandLine, freePort, isAlive, isPortFree, ServerStartError, startServer, stopProcessGroup } from './process.ts'
import { LabInterrupted, type StepHandle } from './runner.ts'
import type { LabContext } from './context.ts'
import type { LabServerName, ServerRecord } from './state.ts'

export interface ServerLaunch {
  command: string
  args: string[]
  env?: NodeJS.ProcessEnv
  cwd?: string
  uid?: number
  gid?: number
  /** Anything else that shapes the server (its config file): a change restarts it. */
  config?: string
  /** Writes what the server reads at start (its config file), just before it starts. */
  prepare?: () => void
  isReady: () => Promise<boolean>
}

export interface OwnedServer {
  name: LabServerName
  /** The ports it listens on, by role; `main` is the one clients use. Empty for a server on a socket. */
  roles: string[]
  /** The Unix socket it listens on instead of a port; a stale one is removed before it starts. */
  socket?: string
  /** The main port, when the user asked for one. */
  explicitPort?: number
  /** The user's flag for that port, for messages. */
  portFlag: string
  launch(ports: Record<string, number>): ServerLaunch
}

export class PortInUseError extends Error {}

/** Ports the lab's recorded servers hold now, so asking for one of them again is not a conflict. */
export function recordedPorts(record: ServerRecord | undefined): number[] {
  return record ? [...(record.port === undefined ? [] : [record.port]), ...Object.values(record.ports ?? {})] : []
}

export async function isOurs(record: ServerRecord | undefined, labDir: string): Promise<boolean> {
  // every lab server names a path inside the lab directory on its command line; a reused pid does not
  return record !== undefined && isAlive(record.pid) && (await commandLine(record.pid)).includes(`${labDir}/`)
}

const fingerprint = (launch: ServerLaunch) => createHash('sha256').update(JSON.stringify([launch.command, launch.args, launch.config ?? ''])).digest('hex').slice(0, 16)

/**
 * Makes sure the server runs as wanted. Resolves to its ports, or undefined in a dry run when it does not run
 * (the step then reports what it would do).
 */
export async function ensureServer(step: StepHandle, context: LabContext, server: OwnedServer, timeoutMs: number): Promise<Record<string, number> | undefined> {
  const { store, paths } = context
  const record = store.state.servers[server.name]
  const logFile = paths.log(server.name)
  step.alsoLog(logFile)
  const recordedPortsByRole: Record<string, number> | undefined = record ? { ...record.ports, ...(record.port === undefined ? {} : { main: record.port }) } : undefined
  if (await isOurs(record, paths.dir)) {
    const main = server.explicitPort ?? record!.port
    const ports = { ...recordedPortsByRole!, ...(main === undefined ? {} : { main }) }
    const wanted = server.launch(ports)
    const why = fingerprint(wanted) !== record!.fingerprint ? 'its command line or configuration changed' : (await wanted.isReady().catch(() => false)) ? undefined : 'it does not answer'
    if (!why) return recordedPortsByRole
    if (step.dryRun) {
      step.changed(`restart ${server.name} (pid ${record!.pid}): ${why}`)
      return undefined
    }
    step.checkpoint()
    await stopProcessGroup(record!.pid)
    step.changed(`stopped ${server.name} (pid ${record!.pid}) to start it again: ${why}`)
  } else if (step.dryRun) {
    step.changed(`start ${server.name}${record ? ` (it ran as pid ${record.pid}, which is gone)` : ''}`)
    return undefined
  }

  const ports: Record<string, number> = {}
  for (const role of server.roles) {
    const before = role === 'main' ? (server.explicitPort ?? record?.port) : record?.ports?.[role]
    if (before !== undefined && (await isPortFree(before))) {
      ports[role] = before
    } else if (role === 'main' && server.explicitPort !== undefined) {
      throw new PortInUseError(portTaken(server, server.explicitPort))
    } else {
      ports[role] = await freePort()
      if (before !== undefined) step.note(`127.0.0.1:${before}, where the lab's ${server.name} listened, is taken by another program; it now listens on 127.0.0.1:${ports[role]}`)
    }
  }
  for (let attempt = 1; ; attempt++) {
    step.checkpoint()
    const launch = server.launch(ports)
    if (server.socket) rmSync(server.socket, { force: true }) // left by a server that died: binding over it fails
    launch.prepare?.()
    try {
      const running = await startServer(
        {
          name: server.name,
          command: launch.command,
          args: launch.args,
          env: launch.env,
          cwd: launch.cwd,
          uid: launch.uid,
          gid: launch.gid,
          logFile,
          isReady: launch.isReady,
          timeoutMs,
          outlive: true,
          // recorded before it is ready, so an interrupted `up` leaves nothing `down` cannot find
          onSpawn: (pid) =>
            store.update((state) => {
              const { main, ...others } = ports
              state.servers[server.name] = { pid, ...(server.socket ? { socket: server.socket } : { port: main! }), ports: others, fingerprint: fingerprint(launch), log: logFile, startedAt: new Date().toISOString() }
            }),
        },
        step.signal,
      )
      step.changed(`started ${server.name} (pid ${running.pid}) on ${server.socket ?? `127.0.0.1:${ports.main}`}`)
      return ports
    } catch (error) {
      store.update((state) => delete state.servers[server.name])
      if (error instanceof ServerStartError && error.aborted && step.signal.aborted) throw new LabInterrupted()
      // another program took a port between our look and the server's bind: take others, unless asked for
      const raced = error instanceof ServerStartError && !error.aborted && /address already in use/i.test(error.logTail)
      if (!raced || attempt >= 3) throw error
      for (const role of server.roles) {
        if (role === 'main' && server.explicitPort !== undefined) {
          if (!(await isPortFree(ports.main!))) throw new PortInUseError(portTaken(server, ports.main!))
          continue
        }
        ports[role] = await freePort()
      }
      step.note(`a port of ${server.name} was taken as it started; trying again on 127.0.0.1:${ports.main}`)
    }
  }
}

function portTaken(server: OwnedServer, port: number): string {
  return `127.0.0.1:${port}, asked for with ${server.portFlag}, is in use by another program, so the lab's ${server.name} cannot listen there. Free that port, or choose another with ${server.portFlag} (or leave it out and the lab picks a free one).`
}
