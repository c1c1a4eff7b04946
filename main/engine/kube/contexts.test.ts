import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { configForContext, listContexts, loadKubeConfig } from './contexts.ts'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kube-contexts-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function kubeconfig(name: string, body: Record<string, unknown>): string {
  const file = join(dir, name)
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Config', ...body }))
  return file
}

const work = {
  clusters: [
    { name: 'shared', cluster: { server: 'https://work.example:6443', 'certificate-authority': 'ca.crt' } },
    { name: 'work', cluster: { server: 'https://work-only.example:6443' } },
  ],
  users: [{ name: 'me', user: { token: 'work-token' } }],
  contexts: [
    { name: 'work', context: { cluster: 'work', user: 'me', namespace: 'team' } },
    { name: 'both', context: { cluster: 'shared', user: 'me' } },
  ],
}

const home = {
  'current-context': 'kind',
  clusters: [
    { name: 'shared', cluster: { server: 'https://home.example:6443' } },
    { name: 'kind', cluster: { server: 'https://127.0.0.1:40000' } },
  ],
  users: [
    { name: 'me', user: { token: 'home-token' } },
    { name: 'kind-admin', user: { token: 'kind-token' } },
  ],
  contexts: [
    { name: 'kind', context: { cluster: 'kind', user: 'kind-admin' } },
    { name: 'both', context: { cluster: 'kind', user: 'kind-admin' } },
    { name: 'broken', context: { cluster: 'gone', user: 'me' } },
  ],
}

describe('loadKubeConfig', () => {
  it('merges the KUBECONFIG files as kubectl does: the first definition of a name and of current-context wins', () => {
    const files = [kubeconfig('work', work), join(dir, 'missing'), kubeconfig('home', home)]
    const loaded = loadKubeConfig({ KUBECONFIG: files.join(delimiter) })!
    expect(loaded.files).toEqual([files[0], files[2]])
    // work names no current-context, so home's decides
    expect(loaded.config.getCurrentContext()).toBe('kind')
    expect(listContexts(loaded)).toEqual([
      { name: 'work', cluster: 'work', server: 'https://work-only.example:6443', user: 'me', namespace: 'team', current: false },
      { name: 'both', cluster: 'shared', server: 'https://work.example:6443', user: 'me', namespace: 'default', current: false },
      { name: 'kind', cluster: 'kind', server: 'https://127.0.0.1:40000', user: 'kind-admin', namespace: 'default', current: true },
      { name: 'broken', cluster: 'gone', server: undefined, user: 'me', namespace: 'default', current: false },
    ])
    // relative paths stay relative to the file that named them
    expect(loaded.config.getCluster('shared')?.caFile).toBe(join(dir, 'ca.crt'))
    expect(loaded.config.getUser('me')?.token).toBe('work-token')
  })

  it('reads ~/.kube/config without KUBECONFIG, and is undefined when there is none', () => {
    expect(loadKubeConfig({ HOME: dir })).toBeUndefined()
    mkdirSync(join(dir, '.kube'))
    const file = join(dir, '.kube', 'config')
    writeFileSync(file, JSON.stringify(home))
    const loaded = loadKubeConfig({ HOME: dir, KUBECONFIG: '' })!
    expect(loaded.files).toEqual([file])
    expect(loaded.config.getCurrentContext()).toBe('kind')
  })

  it('names the file that cannot be read', () => {
    const file = kubeconfig('bad', { clusters: [{ name: 'no-server', cluster: {} }] })
    expect(() => loadKubeConfig({ KUBECONFIG: file })).toThrow(`The kubeconfig ${file} could not be read: clusters[0].cluster.server is missing. Fix that file or remove it from KUBECONFIG.`)
  })
})

describe('configForContext', () => {
  const loaded = () => loadKubeConfig({ KUBECONFIG: [kubeconfig('work', work), kubeconfig('home', home)].join(delimiter) })!

  it('gives each context a config of its own, holding only its cluster and user', () => {
    const merged = loaded()
    const workConfig = configForContext(merged, 'work')
    const kindConfig = configForContext(merged, 'kind')
    expect(workConfig.getCurrentContext()).toBe('work')
    expect(workConfig.getCurrentCluster()?.server).toBe('https://work-only.example:6443')
    expect(workConfig.getCurrentUser()?.token).toBe('work-token')
    expect(workConfig.getContexts().map((context) => context.name)).toEqual(['work'])
    expect(kindConfig.getCurrentCluster()?.server).toBe('https://127.0.0.1:40000')
    // the merged config is not touched: switching is picking another config
    expect(merged.config.getCurrentContext()).toBe('kind')
  })

  it('lists the known contexts when asked for an unknown one', () => {
    const merged = loaded()
    expect(() => configForContext(merged, 'prod')).toThrow(/There is no kube-context "prod" in .*work.*home\. The contexts there are "work", "both", "kind", "broken"\. Pick one of those/)
  })

  it('says which cluster a context names but nobody defines', () => {
    expect(() => configForContext(loaded(), 'broken')).toThrow(/kube-context "broken" names cluster "gone", which .* does not define\. Add that cluster or fix the context\./)
  })
})
