// Proves the test lab is made of real parts: each check crosses a process boundary to a real server.
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { getPassword, setPassword } from '@napi-rs/keyring/keytar.js'
import pg from 'pg'
import { chromium } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { bao, grantTokenReview, kubeAdmin, lab } from './helpers.ts'

const suffix = randomBytes(4).toString('hex')

describe('the test lab', () => {
  it('OpenBao stores and returns a KV v2 secret', async () => {
    await bao('POST', `secret/data/smoke-${suffix}`, { data: { username: 'demo', password: 'not-a-real-one' } })
    const read = await bao<{ data: { data: Record<string, string>; metadata: { version: number } } }>('GET', `secret/data/smoke-${suffix}`)
    expect(read.data.data).toEqual({ username: 'demo', password: 'not-a-real-one' })
    expect(read.data.metadata.version).toBe(1)
  })

  it('OpenBao logs in with a ServiceAccount token that the kube-apiserver issued and reviews', async () => {
    const { core } = kubeAdmin()
    const namespace = `smoke-${suffix}`
    await core.createNamespace({ body: { metadata: { name: namespace } } })
    for (const name of ['vault-auth', 'app']) {
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } })
    }
    // the reviewer may call TokenReview, as in the VSO tutorial
    await grantTokenReview(namespace, 'vault-auth')
    const tokenFor = async (name: string, audiences: string[]) => {
      const request = await core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences, expirationSeconds: 600 } } })
      return request.status!.token
    }
    const mount = `kubernetes-${suffix}`
    await bao('POST', `sys/auth/${mount}`, { type: 'kubernetes' })
    await bao('POST', `auth/${mount}/config`, {
      kubernetes_host: lab.kube.server,
      kubernetes_ca_cert: lab.kube.caCert,
      // the reviewer's token is for the apiserver itself, so it carries the apiserver's audience
      token_reviewer_jwt: await tokenFor('vault-auth', [lab.kube.serviceAccountIssuer]),
      disable_local_ca_jwt: true,
    })
    await bao('POST', `auth/${mount}/role/app`, {
      bound_service_account_names: ['app'],
      bound_service_account_namespaces: [namespace],
      audience: 'vault',
      token_policies: ['default'],
      token_ttl: '10m',
    })

    const login = await bao<{ auth: { client_token: string; metadata: Record<string, string> } }>('POST', `auth/${mount}/login`, {
      role: 'app',
      jwt: await tokenFor('app', ['vault']),
    })
    expect(login.auth.client_token).toBeTruthy()
    expect(login.auth.metadata).toMatchObject({ service_account_name: 'app', service_account_namespace: namespace })
  })

  it("OpenBao's database engine creates a PostgreSQL user that can log in", async () => {
    const { host, port, user, password, database } = lab.postgres
    const mount = `database-${suffix}`
    await bao('POST', `sys/mounts/${mount}`, { type: 'database' })
    await bao('POST', `${mount}/config/postgres`, {
      plugin_name: 'postgresql-database-plugin',
      connection_url: `postgresql://{{username}}:{{password}}@${host}:${port}/${database}?sslmode=disable`,
      username: user,
      password,
      allowed_roles: ['smoke'],
    })
    await bao('POST', `${mount}/roles/smoke`, {
      db_name: 'postgres',
      creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`],
      default_ttl: '10m',
    })
    const creds = await bao<{ lease_id: string; data: { username: string; password: string } }>('GET', `${mount}/creds/smoke`)
    expect(creds.lease_id).toMatch(new RegExp(`^${mount}/creds/smoke/`))

    const client = new pg.Client({ host, port, database, user: creds.data.username, password: creds.data.password })
    await client.connect()
    try {
      const { rows } = await client.query<{ current_user: string }>('SELECT current_user')
      expect(rows[0]?.current_user).toBe(creds.data.username)
    } finally {
      await client.end()
    }
  })

  it('the Secret Service keychain stores an entry and returns it, encrypted at rest', async () => {
    process.env.DBUS_SESSION_BUS_ADDRESS = lab.keychain.dbusAddress
    const secret = `smoke-secret-${suffix}`
    await setPassword('vault-tray-smoke', `account-${suffix}`, secret)
    expect(await getPassword('vault-tray-smoke', `account-${suffix}`)).toBe(secret)
    expect(await getPassword('vault-tray-smoke', 'no-such-account')).toBeNull()

    const keyrings = join(lab.runDir, 'keychain', 'data', 'keyrings')
    const files = readdirSync(keyrings).filter((name) => name.endsWith('.keyring'))
    expect(files.length).toBeGreaterThan(0)
    for (const file of files) expect(readFileSync(join(keyrings, file)).includes(secret)).toBe(false)
  })

  it('Chromium loads a page from a loopback server', async () => {
    const server = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html')
      response.end('<!doctype html><title>lab</title><h1>Vault Tray lab</h1>')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    const browser = await chromium.launch({ executablePath: lab.chromium.executablePath, args: lab.chromium.args })
    try {
      const page = await browser.newPage()
      await page.goto(`http://127.0.0.1:${port}/`)
      expect(await page.title()).toBe('lab')
      expect(await page.getByRole('heading').textContent()).toBe('Vault Tray lab')
    } finally {
      await browser.close()
      server.close()
    }
  })
})
