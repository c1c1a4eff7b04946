// The MAC VSO keeps in status.secretMAC: HMAC-SHA256 over Go's json.Marshal of the Secret's data (keys sorted,
// values base64), keyed by 16 bytes kept in a cluster Secret. It tells "Vault changed" from "unchanged" without
// keeping the data, and a hand-edited Secret from the one we wrote.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { isConflict, isNotFound, type KubeApi } from '../kube/api.ts'

export const HMAC_KEY_SECRET = 'vso-cc-storage-hmac-key'

export type SecretData = Record<string, Buffer>

export function secretMac(key: Buffer, data: SecretData): string {
  const message = JSON.stringify(Object.fromEntries(Object.keys(data).sort().map((name) => [name, data[name]!.toString('base64')])))
  return createHmac('sha256', key).update(message).digest('base64')
}

/** Constant time, as a MAC comparison must be; a missing MAC never matches. */
export function macEquals(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false
  const left = Buffer.from(a, 'base64')
  const right = Buffer.from(b, 'base64')
  return left.length === right.length && timingSafeEqual(left, right)
}

/** The live Secret's `.data` (base64 strings) as bytes. */
export function decodeSecretData(data: Record<string, string> | undefined): SecretData {
  return Object.fromEntries(Object.entries(data ?? {}).map(([name, value]) => [name, Buffer.from(value, 'base64')]))
}

/** Reads the HMAC key from the operator namespace, creating it (as VSO does at start) when absent. */
export async function loadHmacKey(kube: KubeApi, operatorNamespace: string): Promise<Buffer> {
  const path = `/api/v1/namespaces/${operatorNamespace}/secrets/${HMAC_KEY_SECRET}`
  try {
    return readKey(await kube.get(path))
  } catch (error) {
    if (!isNotFound(error)) throw error
  }
  await ensureNamespace(kube, operatorNamespace)
  const body = {
    metadata: {
      name: HMAC_KEY_SECRET,
      labels: {
        'app.kubernetes.io/name': 'vault-secrets-operator',
        'app.kubernetes.io/managed-by': 'hashicorp-vso',
        'app.kubernetes.io/component': 'client-cache-storage-verification',
      },
    },
    immutable: true,
    data: { key: randomBytes(16).toString('base64') },
  }
  try {
    return readKey(await kube.create(`/api/v1/namespaces/${operatorNamespace}/secrets`, body))
  } catch (error) {
    // another engine made it first: use theirs
    if (isConflict(error)) return readKey(await kube.get(path))
    throw error
  }
}

function readKey(secret: { data?: Record<string, string> }): Buffer {
  const key = secret.data?.key
  if (!key) throw new Error(`Secret ${HMAC_KEY_SECRET} has no "key": delete it and the engine will make a new one (every resource then syncs once more).`)
  return Buffer.from(key, 'base64')
}

export async function ensureNamespace(kube: KubeApi, name: string): Promise<void> {
  try {
    await kube.create('/api/v1/namespaces', { metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'vault-tray' } } })
  } catch (error) {
    if (!isConflict(error)) throw error
  }
}
