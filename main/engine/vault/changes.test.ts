import { describe, expect, it } from 'vitest'
import { parseKvEvent } from './changes.ts'

// The shape of a message on Vault's sys/events/subscribe stream with ?json=true (Vault 1.16+ docs).
const kvWrite = {
  id: 'a3be9fb1-b514-519f-5b25-b6f144a8c1ce',
  source: 'https://vaultproject.io/',
  specversion: '1.0',
  type: '*',
  data: {
    event: { id: 'a3be9fb1', metadata: { current_version: '3', data_path: 'team/secret/data/app/creds', modified: 'true', oldest_version: '0', operation: 'data-write', path: 'team/secret/data/app/creds' } },
    event_type: 'kv-v2/data-write',
    plugin_info: { mount_class: 'secret', mount_accessor: 'kv_5dc4d18e', mount_path: 'team/secret/', plugin: 'kv' },
  },
  datacontentype: 'application/cloudevents',
  time: '2026-11-23T18:00:00Z',
}

describe('parseKvEvent', () => {
  it('reads mount, secret path and new version of a KV v2 write', () => {
    expect(parseKvEvent(JSON.stringify(kvWrite))).toEqual({ mount: 'team/secret', path: 'app/creds', version: 3 })
  })

  it('reads a metadata delete, which has no current version', () => {
    const deleted = structuredClone(kvWrite)
    deleted.data.event_type = 'kv-v2/metadata-delete'
    deleted.data.event.metadata = { ...deleted.data.event.metadata, path: 'team/secret/metadata/app/creds', current_version: '' }
    expect(parseKvEvent(JSON.stringify(deleted))).toEqual({ mount: 'team/secret', path: 'app/creds', version: undefined })
  })

  it('reads Vault 1.14 messages, whose path starts inside the mount (as the lab\'s Vault sent them)', () => {
    const write = '{"id":"092e7a5c","source":"https://vaultproject.io/","specversion":"1.0","type":"*","data":{"event":{"id":"092e7a5c","metadata":{"current_version":"1","oldest_version":"0","path":"data/foo"}},"event_type":"kv-v2/data-write","plugin_info":{"mount_class":"secret","mount_accessor":"kv_1d68ae5c","mount_path":"secret/","plugin":"kv"}},"datacontentype":"application/cloudevents","time":"2026-12-07T12:49:43.618993836Z"}'
    const deleted = '{"id":"fa34bf8e","source":"https://vaultproject.io/","specversion":"1.0","type":"*","data":{"event":{"id":"fa34bf8e","metadata":{"path":"metadata/foo"}},"event_type":"kv-v2/metadata-delete","plugin_info":{"mount_class":"secret","mount_accessor":"kv_1d68ae5c","mount_path":"secret/","plugin":"kv"}},"datacontentype":"application/cloudevents","time":"2026-12-07T12:49:43.625682183Z"}'
    expect(parseKvEvent(write)).toEqual({ mount: 'secret', path: 'foo', version: 1 })
    expect(parseKvEvent(deleted)).toEqual({ mount: 'secret', path: 'foo', version: undefined })
  })

  it('reads KV v1 writes and deletes, which name the secret itself (as the lab\'s Vault 1.14 sent them)', () => {
    const write = '{"id":"d6cdd5e4","source":"https://vaultproject.io/","specversion":"1.0","type":"*","data":{"event":{"id":"d6cdd5e4","metadata":{"path":"foo/bar"}},"event_type":"kv-v1/write","plugin_info":{"mount_class":"secret","mount_accessor":"kv_2a248650","mount_path":"v1kv/","plugin":"kv"}},"datacontentype":"application/cloudevents","time":"2026-12-07T13:02:39.904070913Z"}'
    expect(parseKvEvent(write)).toEqual({ mount: 'v1kv', path: 'foo/bar', version: undefined })
    expect(parseKvEvent(write.replace('kv-v1/write', 'kv-v1/delete'))).toEqual({ mount: 'v1kv', path: 'foo/bar', version: undefined })
  })

  it('ignores other event types and anything that is not JSON', () => {
    const other = structuredClone(kvWrite)
    other.data.event_type = 'database/creds-create'
    expect(parseKvEvent(JSON.stringify(other))).toBeUndefined()
    expect(parseKvEvent('not json')).toBeUndefined()
  })
})
