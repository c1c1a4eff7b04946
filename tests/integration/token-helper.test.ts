// The token helper, driven by the real bao CLI: its token lives in the keychain, never in ~/.vault-token.
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SystemKeychain } from '../../main/engine/cache/keychain.ts'
import { bao, lab } from './helpers.ts'

const run = promisify(execFile)
let home: string
let env: NodeJS.ProcessEnv
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'vault-tray-home-'))
  process.env.DBUS_SESSION_BUS_ADDRESS = lab.keychain.dbusAddress
  env = { PATH: process.env.PATH, HOME: home, BAO_ADDR: lab.openbao.address, VAULT_ADDR: lab.openbao.address, DBUS_SESSION_BUS_ADDRESS: lab.keychain.dbusAddress }
})
afterAll(() => rmSync(home, { recursive: true, force: true }))

const vaultTray = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'main/cli.ts', ...args], { env })
const baoCli = (...args: string[]) => run(lab.binaries.bao, args, { env })

describe('vault-tray token-helper', () => {
  it('is switched on in ~/.bao without losing the other settings, and off again', async () => {
    writeFileSync(join(home, '.bao'), "# the user's own notes\n")
    const { stdout } = await vaultTray('token-helper', 'enable', '--cli', 'bao')
    expect(stdout).toContain(`${join(home, '.bao')} now sends the bao CLI's token to the OS keychain`)
    const helper = join(process.cwd(), 'bin', 'vault-tray-token-helper')
    expect(readFileSync(join(home, '.bao'), 'utf8')).toBe(`# the user's own notes\ntoken_helper = ${JSON.stringify(helper)}\n`)
    expect((await vaultTray('token-helper', 'enable', '--cli', 'bao')).stdout).toContain('nothing changed')

    await vaultTray('token-helper', 'disable', '--cli', 'bao')
    expect(readFileSync(join(home, '.bao'), 'utf8')).toBe("# the user's own notes\n")
  })

  it('keeps the token of `bao login` in the keychain, serves it to later commands, and erases it', async () => {
    await vaultTray('token-helper', 'enable', '--cli', 'bao')
    const { auth } = await bao<{ auth: { client_token: string; accessor: string } }>('POST', 'auth/token/create', { policies: ['default'], ttl: '10m' })

    await baoCli('login', '-no-print', auth.client_token)
    expect(existsSync(join(home, '.vault-token'))).toBe(false)
    expect(await new SystemKeychain().get(`cli-token:${lab.openbao.address}`)).toBe(auth.client_token)

    const { stdout } = await baoCli('token', 'lookup', '-format=json')
    expect(JSON.parse(stdout).data.accessor).toBe(auth.accessor)

    await run(join('bin', 'vault-tray-token-helper'), ['erase'], { env })
    expect((await run(join('bin', 'vault-tray-token-helper'), ['get'], { env })).stdout).toBe('')
    await expect(baoCli('token', 'lookup')).rejects.toMatchObject({ stderr: expect.stringMatching(/permission denied|missing client token/) })
  })
})
