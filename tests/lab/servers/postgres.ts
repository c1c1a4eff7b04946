import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort, startServer, tailOf } from '../process.ts'

const run = promisify(execFile)

export interface PostgresInfo {
  host: string
  port: number
  user: string
  password: string
  database: string
}

/** PostgreSQL refuses to run as root; when we are root it runs as Debian's `postgres` user. */
async function serviceUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined
  const { stdout } = await run('id', ['-u', 'postgres'])
  const { stdout: gid } = await run('id', ['-g', 'postgres'])
  return { uid: Number(stdout), gid: Number(gid) }
}

/** A cluster of its own in the run dir, on a free loopback port, superuser `postgres` with a random password. */
export async function startPostgres(binDir: string, runDir: string, timeoutMs: number, signal: AbortSignal) {
  const dir = join(runDir, 'postgres')
  mkdirSync(dir)
  const user = await serviceUser()
  if (user) {
    chmodSync(runDir, 0o711) // let the service user reach its own directory, and nothing else
    chownSync(dir, user.uid, user.gid)
  }
  const password = randomBytes(18).toString('base64url')
  const passwordFile = join(dir, 'password')
  writeFileSync(passwordFile, password, { mode: 0o600 })
  if (user) chownSync(passwordFile, user.uid, user.gid)
  const dataDir = join(dir, 'data')
  const initLog = join(dir, 'initdb.log')
  try {
    await run(join(binDir, 'initdb'), ['-D', dataDir, '-U', 'postgres', `--pwfile=${passwordFile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync'], {
      uid: user?.uid,
      gid: user?.gid,
    })
  } catch (error) {
    writeFileSync(initLog, String((error as { stderr?: string }).stderr ?? error))
    throw new Error(`postgres: initdb failed.\n--- last lines of its log ---\n${tailOf(initLog)}\n---`, { cause: error })
  }
  const port = await freePort()
  const server = await startServer(
    {
      name: 'postgres',
      command: join(binDir, 'postgres'),
      args: ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off', '-c', 'full_page_writes=off'],
      logFile: join(dir, 'server.log'),
      uid: user?.uid,
      gid: user?.gid,
      timeoutMs,
      isReady: async () => {
        await run(join(binDir, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)])
        return true
      },
    },
    signal,
  )
  const info: PostgresInfo = { host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' }
  return { server, info }
}
