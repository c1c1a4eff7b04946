// Draws the tray icons, one filled circle per state (resources/tray-<state>.png, 32×32 RGBA), with node:zlib and
// nothing else. Run again after changing a colour: node scripts/tray-icons.mjs
import { Buffer } from 'node:buffer'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { deflateSync } from 'node:zlib'

const COLOURS = { ok: [27, 127, 59], syncing: [31, 95, 191], warning: [214, 130, 0], error: [179, 38, 30], sealed: [107, 63, 160] }
const SIZE = 32

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 = (bytes) => (bytes.reduce((c, byte) => CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8), 0xffffffff) ^ 0xffffffff) >>> 0

function chunk(type, data) {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

function circle([r, g, b]) {
  const rows = []
  const centre = (SIZE - 1) / 2
  for (let y = 0; y < SIZE; y++) {
    const row = [0] // filter: none
    for (let x = 0; x < SIZE; x++) {
      // anti-aliased edge: full inside, fading over one pixel
      const alpha = Math.max(0, Math.min(1, SIZE / 2 - 2 - Math.hypot(x - centre, y - centre) + 0.5))
      row.push(r, g, b, Math.round(alpha * 255))
    }
    rows.push(Buffer.from(row))
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(SIZE, 0)
  header.writeUInt32BE(SIZE, 4)
  header.set([8, 6, 0, 0, 0], 8) // 8-bit RGBA
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))])
}

for (const [state, colour] of Object.entries(COLOURS)) writeFileSync(join(import.meta.dirname, '..', 'resources', `tray-${state}.png`), circle(colour))
