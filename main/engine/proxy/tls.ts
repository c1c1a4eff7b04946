// A certificate for the proxy's loopback listener, made on this machine and kept for later runs, so tools
// can trust it once (VAULT_CACERT=<dir>/proxy-cert.pem) instead of skipping verification.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { X509Certificate } from 'node:crypto'
import { join } from 'node:path'
import { generate } from 'selfsigned'

export interface ProxyCertificate {
  certFile: string
  cert: string
  key: string
}

/** The certificate kept in `dir`, or a new one for localhost, 127.0.0.1 and ::1 when there is none or it expired. */
export async function localCertificate(dir: string, now = new Date()): Promise<ProxyCertificate> {
  const certFile = join(dir, 'proxy-cert.pem')
  const keyFile = join(dir, 'proxy-key.pem')
  if (existsSync(certFile) && existsSync(keyFile)) {
    const cert = readFileSync(certFile, 'utf8')
    if (new Date(new X509Certificate(cert).validTo) > now) return { certFile, cert, key: readFileSync(keyFile, 'utf8') }
  }
  const notAfter = new Date(now)
  notAfter.setFullYear(notAfter.getFullYear() + 1)
  const pems = await generate([{ name: 'commonName', value: 'vault-tray proxy (localhost)' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: now,
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  })
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  writeFileSync(keyFile, pems.private, { mode: 0o600 })
  writeFileSync(certFile, pems.cert)
  return { certFile, cert: pems.cert, key: pems.private }
}
