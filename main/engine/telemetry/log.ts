// Structured logs (pino). Fields that could hold a secret are censored wherever they appear, as a second
// line of defence: the first is never to log them.
import pino, { type DestinationStream, type Logger } from 'pino'

export type { Logger }

const SECRET_FIELDS = ['token', 'clientToken', 'client_token', 'password', 'secret', 'secretId', 'secret_id', 'jwt', 'data', 'plaintext', 'privateKey', 'private_key']

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.VAULT_TRAY_LOG_LEVEL ?? 'info',
      redact: { paths: SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]), censor: '[redacted]' },
      base: undefined,
    },
    options.destination ?? pino.destination(2),
  )
}
