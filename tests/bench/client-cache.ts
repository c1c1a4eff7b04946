// Benchmark of the encrypted client cache, against the real lab (OpenBao, PostgreSQL, keychain):
//   1. a restart with 1,000 persisted database leases: time to resume, and new PostgreSQL users (must be 0);
//   2. save and load of 10,000 entries: milliseconds, and bytes on disk per entry.
// Run: npm run bench:client-cache
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { ClientCache } from '../../main/engine/cache/client-cache.ts'
import { SystemKeychain } from '../../main/engine/cache/keychain.ts'
import { systemClock as clock } from '../../main/engine/clock.ts'
import { createLogger } from '../../main/engine/telemetry/log.ts'
import { VaultClient } from '../../main/engine/vault/client.ts'
import { Transit } from '../../main/engine/vault/engines.ts'
import { VaultSession } from '../../main/engine/vault/session.ts'
import { startLab } from '../lab/lab.ts'

const LEASES = Number(process.env.BENCH_LEASES ?? 1_000)
const ENTRIES = 10_000

const lab = await startLab()
const dir = mkdtempSync(join(tmpdir(), 'vault-tray-bench-'))
process.env.DBUS_SESSION_BUS_ADDRESS = lab.info.keychain.dbusAddress
const { openbao, postgres } = lab.info
const client = new VaultClient({ address: openbao.address, skipVerify: false })
const logger = createLogger({ level: 'silent' })
const root = openbao.rootToken

async function bao(method: string, path: string, body?: unknown): Promise<void> {
  await client.request({ method: method as 'POST', path, token: root, body })
}

async function postgresUsers(): Promise<number> {
  const connection = new pg.Client({ host: postgres.host, port: postgres.port, database: 'postgres', user: postgres.user, password: postgres.password })
  await connection.connect()
  const { rows } = await connection.query<{ count: string }>("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'v-%'")
  await connection.end()
  return Number(rows[0]!.count)
}

/** Runs work over items, `width` at a time. */
async function pool<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items]
  await Promise.all(Array.from({ length: width }, async () => { for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item) }))
}

const step = (what: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${what}`)

const time = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now()
  const result = await work()
  return [result, performance.now() - started]
}

try {
  await bao('POST', 'sys/mounts/transit', { type: 'transit' })
  await bao('POST', 'transit/keys/vault-tray-client-cache', {})
  await bao('POST', 'sys/mounts/database', { type: 'database' })
  await bao('POST', 'database/config/postgres', {
    plugin_name: 'postgresql-database-plugin',
    connection_url: `postgresql://{{username}}:{{password}}@${postgres.host}:${postgres.port}/postgres?sslmode=disable`,
    username: postgres.user,
    password: postgres.password,
    allowed_roles: ['*'],
  })
  step('10k entries (first, while OpenBao holds no leases)')
  // 10,000 entries the size of a database lease record
  const big = join(dir, 'entries.vtc')
  const cacheOf = () => new ClientCache({ file: big, keychain: new SystemKeychain('vault-tray-bench'), transit: new Transit(client, 'transit', 'vault-tray-client-cache'), logger, maxEntries: ENTRIES })
  const filled = cacheOf()
  await filled.load(async () => root)
  for (let i = 0; i < ENTRIES; i++) {
    filled.set(`lease:GET database/creds/app-${i}`, { key: `GET database/creds/app-${i}`, leaseId: `database/creds/app-${i}/${'x'.repeat(24)}`, renewable: true, leaseDurationSeconds: 3600, issuedAt: Date.now(), expiresAt: Date.now() + 3_600_000, truncated: false, ownerAccessor: 'y'.repeat(24), request: { path: `database/creds/app-${i}` }, data: { username: `v-token-app-${i}-${'z'.repeat(20)}`, password: 'p'.repeat(20) } })
  }
  const saves: number[] = []
  const loads: number[] = []
  for (let round = 0; round < 5; round++) {
    saves.push((await time(() => filled.save(root)))[1])
    loads.push((await time(() => cacheOf().load(async () => root)))[1])
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  const bytesPerEntry = statSync(big).size / ENTRIES

  step('roles')
  const roles = Array.from({ length: LEASES }, (_, i) => `app-${i}`)
  await pool(roles, 8, (role) => bao('POST', `database/roles/${role}`, { db_name: 'postgres', creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`], default_ttl: '1h', max_ttl: '24h' }))
  const { auth } = await client.request<{ auth: { client_token: string } }>({ method: 'POST', path: 'auth/token/create', token: root, body: { policies: ['root'], period: '1h' } })

  const file = join(dir, 'leases.vtc')
  const session = () => {
    const cache = new ClientCache({ file, keychain: new SystemKeychain('vault-tray-bench'), transit: new Transit(client, 'transit', 'vault-tray-client-cache'), logger })
    return new VaultSession({ client, auth: { method: 'token', token: auth.client_token }, cache, clock, saveDelayMs: 60_000 })
  }
  step('first session')
  const first = session()
  await first.start()
  const [, issueMs] = await time(() => pool(roles, 8, (role) => first.leases.acquire({ path: `database/creds/${role}` })))
  const [, saveLeasesMs] = await time(() => first.stop())
  const usersBefore = await postgresUsers()
  step('second session')

  const second = session()
  const [started, resumeMs] = await time(() => second.start())
  await pool(roles, 8, (role) => second.leases.acquire({ path: `database/creds/${role}` }))
  const newUsers = (await postgresUsers()) - usersBefore
  await second.stop()

  console.log(`client cache benchmark (OpenBao ${openbao.address}, PostgreSQL :${postgres.port}, gnome-keyring)`)
  console.log(`restart with ${LEASES} database leases:`)
  console.log(`  issue ${LEASES} leases (new users)        ${issueMs.toFixed(0)} ms`)
  console.log(`  save on stop                         ${saveLeasesMs.toFixed(0)} ms, ${statSync(file).size} bytes`)
  console.log(`  resume after restart                 ${resumeMs.toFixed(0)} ms (${started.leasesResumed} leases resumed, ${started.restored} entries restored)`)
  console.log(`  new PostgreSQL users after restart   ${newUsers}`)
  console.log(`${ENTRIES} entries, median of 5:`)
  console.log(`  save                                 ${median(saves).toFixed(1)} ms`)
  console.log(`  load                                 ${median(loads).toFixed(1)} ms`)
  console.log(`  on disk                              ${bytesPerEntry.toFixed(0)} bytes per entry`)
  client.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
  await lab.stop()
}
