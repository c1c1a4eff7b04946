// "PostgreSQL up": a cluster of the lab's own (initdb in the lab directory, its own port on 127.0.0.1, a random
// superuser password kept with the root token), or a server the user already runs (--postgres URL).
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, chownSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import type { LabContext, PostgresTarget } from './context.ts'
import type { StepHandle } from './runner.ts'
import { ensureServer } from './servers.ts'
import type { PostgresProviderState } from './state.ts'

const run = promisify(execFile)

/** PostgreSQL refuses to run as root; when we are root it runs as the system's `postgres` user. */
async function serviceUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined
  try {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])])
    return { uid: Number(uid), gid: Number(gid) }
  } catch {
    throw new Error('PostgreSQL refuses to run as root, and there is no `postgres` user to run it as. Run Vault Tray as a normal user, or use a PostgreSQL you have with --postgres.')
  }
}

/** As root, the `postgres` user must be able to walk down to the lab's directory. */
function checkReachable(dir: string): void {
  for (let parent = dirname(dir); parent !== dirname(parent); parent = dirname(parent)) {
    if ((statSync(parent).mode & 0o001) === 0) {
      throw new Error(`PostgreSQL runs as the user postgres (Vault Tray runs as root), and it cannot reach ${dir}: ${parent} is closed to other users. Put the lab elsewhere (--dir /var/tmp/vault-tray-lab), or run as a normal user.`)
    }
  }
}

export async function localPostgres(step: StepHandle, context: LabContext, binDir: string): Promise<void> {
  const { paths, secrets, material } = context
  const dir = paths.server('postgres')
  const dataDir = join(dir, 'data')
  const user = await serviceUser()
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    if (step.dryRun) return step.changed('create a PostgreSQL cluster (initdb)')
    step.checkpoint()
    if (user) {
      checkReachable(paths.dir)
      chmodSync(paths.dir, 0o711) // the service user may pass through, and see nothing
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    if (user) chownSync(dir, user.uid, user.gid)
    // the password is kept before the cluster exists, so a cluster never outlives the only copy of its password
    if (!material.postgresPassword) {
      material.postgresPassword = randomBytes(18).toString('base64url')
      await context.saveMaterial()
    }
    const passwordFile = join(dir, `initdb-password-${process.pid}`)
    const staging = join(dir, 'data.partial')
    rmSync(staging, { recursive: true, force: true })
    writeFileSync(passwordFile, material.postgresPassword, { mode: 0o600 })
    try {
      if (user) chownSync(passwordFile, user.uid, user.gid)
      step.log(`$ ${join(binDir, 'initdb')} -D ${staging} -U postgres --auth=scram-sha-256 --no-sync`)
      await run(join(binDir, 'initdb'), ['-D', staging, '-U', 'postgres', `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '--no-sync', '--encoding=UTF8'], { uid: user?.uid, gid: user?.gid, signal: step.signal, maxBuffer: 16 << 20 })
    } catch (error) {
      const said = String((error as { stderr?: string }).stderr || (error as Error).message).trim()
      step.log(said)
      throw new Error(`initdb failed: ${said.split('\n').slice(-3).join(' ')}`, { cause: error })
    } finally {
      rmSync(passwordFile, { force: true })
    }
    // a half-made cluster (initdb interrupted) is never taken for a whole one
    renameSync(staging, dataDir)
    step.changed(`created a PostgreSQL cluster in ${dataDir} (superuser postgres, password kept with the root token)`)
  }
  if (!material.postgresPassword) throw new Error(`The lab's PostgreSQL exists, but its password is not in ${secrets.where === 'file' ? paths.secretsFile : 'the OS keychain'}. Run \`vault-tray lab down\`, then \`lab up\`.`)
  const password = material.postgresPassword
  const ports = await ensureServer(
    step,
    context,
    {
      name: 'postgres',
      roles: ['main'],
      explicitPort: context.ports.postgres,
      portFlag: '--postgres-port',
      launch: (ports) => ({
        command: join(binDir, 'postgres'),
        // no Unix socket: nothing but TCP on loopback, with a password
        args: ['-D', dataDir, '-p', String(ports.main), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
        cwd: dir,
        uid: user?.uid,
        gid: user?.gid,
        // ready when it lets the superuser in: proves the port, the start-up and the password at once
        isReady: async () => (await logInProblem({ host: '127.0.0.1', port: ports.main!, database: 'postgres', ssl: false }, 'postgres', password)) === undefined,
      }),
    },
    context.timeouts.serverMs,
  )
  if (!ports) return
  context.postgres = { host: '127.0.0.1', port: ports.main!, user: 'postgres', password, database: 'postgres', ssl: false, owned: true }
}

export async function existingPostgres(step: StepHandle, context: LabContext, provider: Extract<PostgresProviderState, { kind: 'existing' }>, password: string | undefined): Promise<void> {
  const { material } = context
  const known = password ?? material.postgresPassword
  if (!known) throw new Error(`The lab needs the password of ${provider.user} on ${provider.host}:${provider.port}: put it in PGPASSWORD (or the --postgres URL).`)
  const target: PostgresTarget = { host: provider.host, port: provider.port, user: provider.user, password: known, database: provider.database, ssl: provider.ssl, owned: false }
  const refused = await logInProblem(target, target.user, target.password)
  if (refused) throw new Error(`PostgreSQL at ${provider.host}:${provider.port} does not let ${provider.user} in (${refused}). Check --postgres and PGPASSWORD.`)
  if (password && password !== material.postgresPassword && !step.dryRun) {
    // Vault's database connection must be written again with it (the password cannot be read back from Vault)
    context.postgresPasswordChanged = material.postgresPassword !== undefined
    material.postgresPassword = password
    await context.saveMaterial()
  }
  step.log(`using PostgreSQL at ${provider.host}:${provider.port} as ${provider.user}; the lab changes in it only what Vault creates`)
  context.postgres = target
}

/** Undefined when PostgreSQL accepts these credentials, as an application would find out; else what it said. */
export async function logInProblem(target: Omit<PostgresTarget, 'user' | 'password' | 'owned'>, user: string, password: string): Promise<string | undefined> {
  const connection = new pg.Client({ host: target.host, port: target.port, database: target.database, user, password, ssl: target.ssl ? { rejectUnauthorized: false } : false, connectionTimeoutMillis: 5_000 })
  try {
    await connection.connect()
    return undefined
  } catch (error) {
    return (error as Error).message
  } finally {
    await connection.end().catch(() => {})
  }
}
