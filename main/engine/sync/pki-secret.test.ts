import { describe, expect, it } from 'vitest'
import { issueRequest } from './pki-secret.ts'

describe('issueRequest', () => {
  it('sends lists comma-joined, leaves out what is unset, and never the root in the chain', () => {
    expect(issueRequest({ mount: 'pki', role: 'web', commonName: 'app.example.com', altNames: ['a.example.com', 'b.example.com'], ipSans: ['127.0.0.1'], ttl: '1h', destination: { name: 'tls' } })).toEqual({
      common_name: 'app.example.com',
      alt_names: 'a.example.com,b.example.com',
      ip_sans: '127.0.0.1',
      ttl: '1h',
      remove_roots_from_chain: true,
    })
  })
})
