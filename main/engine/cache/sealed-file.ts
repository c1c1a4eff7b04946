// The on-disk format of the client cache. Line 1 is a JSON header; each further line is one record sealed
// with AES-256-GCM. Record keys derive from a data key that only Vault's transit engine can unwrap AND a
// local secret from the OS keychain; the session (the Vault token that unwraps it) is sealed by the local
// secret alone. Each record's additional data binds it to its file, position and the record count, so a
// truncated, reordered, spliced or edited file fails as a whole and is never half-loaded.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

export const CACHE_FORMAT = 'vault-tray-client-cache'
export const CACHE_FORMAT_VERSION = 1

export interface CacheFileHeader {
  format: typeof CACHE_FORMAT
  version: typeof CACHE_FORMAT_VERSION
  /** Random per file: the salt of every key and part of every record's additional data. */
  fileId: string
  transit: { mount: string; key: string }
  /** The data key, encrypted by the transit key (`vault:v1:…`). */
  wrappedKey: string
  /** The sealed session; absent when no token was kept. */
  session?: string
  count: number
}

export interface CacheRecord {
  key: string
  value: unknown
}

/** The file's structure or integrity is broken: it must be set aside, never partly trusted. */
export class CacheFileCorruptError extends Error {
  constructor(detail: string) {
    super(`the client cache file is damaged or was tampered with: ${detail}`)
    this.name = 'CacheFileCorruptError'
  }
}

const IV_BYTES = 12
const TAG_BYTES = 16

function deriveKey(secret: Buffer, fileId: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, fileId, `vault-tray client cache v1 ${purpose}`, 32))
}

function seal(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(aad))
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')
}

function unseal(key: Buffer, sealed: string, aad: string, what: string): Buffer {
  const bytes = Buffer.from(sealed, 'base64')
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new CacheFileCorruptError(`${what} is too short`)
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES)).setAAD(Buffer.from(aad))
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()])
  } catch {
    throw new CacheFileCorruptError(`${what} failed its integrity check`)
  }
}

export interface SealInput {
  fileId: Buffer
  transit: CacheFileHeader['transit']
  wrappedKey: string
  dataKey: Buffer
  localSecret: Buffer
  session: unknown
  records: CacheRecord[]
}

export function sealCacheFile(input: SealInput): string {
  const recordKey = deriveKey(Buffer.concat([input.dataKey, input.localSecret]), input.fileId, 'records')
  const id = input.fileId.toString('base64')
  const count = input.records.length
  const header: CacheFileHeader = {
    format: CACHE_FORMAT,
    version: CACHE_FORMAT_VERSION,
    fileId: id,
    transit: input.transit,
    wrappedKey: input.wrappedKey,
    ...(input.session === undefined ? {} : { session: seal(deriveKey(input.localSecret, input.fileId, 'session'), Buffer.from(JSON.stringify(input.session)), `${id}|session`) }),
    count,
  }
  const lines = input.records.map((record, index) => seal(recordKey, Buffer.from(JSON.stringify(record)), `${id}|${index}|${count}`))
  return `${JSON.stringify(header)}\n${lines.join('\n')}${count > 0 ? '\n' : ''}`
}

/** Reads the header; what it holds is not trusted until the records open. */
export function readCacheHeader(content: string): { header: CacheFileHeader; lines: string[] } {
  const [first = '', ...rest] = content.split('\n')
  let header: CacheFileHeader
  try {
    header = JSON.parse(first) as CacheFileHeader
  } catch {
    throw new CacheFileCorruptError('its header is not JSON')
  }
  if (header.format !== CACHE_FORMAT) throw new CacheFileCorruptError(`its header names format "${String(header.format)}"`)
  if (header.version !== CACHE_FORMAT_VERSION) throw new CacheFileCorruptError(`it is version ${String(header.version)}; this build reads version ${CACHE_FORMAT_VERSION}`)
  if (typeof header.wrappedKey !== 'string' || typeof header.fileId !== 'string' || !Number.isInteger(header.count)) throw new CacheFileCorruptError('its header misses fields')
  const lines = rest.filter((line) => line !== '')
  if (lines.length !== header.count) throw new CacheFileCorruptError(`its header counts ${header.count} records but ${lines.length} are there`)
  return { header, lines }
}

export function openSession(header: CacheFileHeader, localSecret: Buffer): unknown {
  if (header.session === undefined) return undefined
  const fileId = Buffer.from(header.fileId, 'base64')
  return JSON.parse(unseal(deriveKey(localSecret, fileId, 'session'), header.session, `${header.fileId}|session`, 'the session').toString('utf8'))
}

export function openRecords(header: CacheFileHeader, lines: string[], dataKey: Buffer, localSecret: Buffer): CacheRecord[] {
  const fileId = Buffer.from(header.fileId, 'base64')
  const recordKey = deriveKey(Buffer.concat([dataKey, localSecret]), fileId, 'records')
  return lines.map((line, index) => JSON.parse(unseal(recordKey, line, `${header.fileId}|${index}|${header.count}`, `record ${index + 1} of ${header.count}`).toString('utf8')) as CacheRecord)
}
