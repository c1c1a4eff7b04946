// Character classes and case mappings as Go's unicode package has them, over runes (code points).

export const isSpace = (r: number): boolean => r === 0x85 || r === 0xa0 || (r <= 0x20 ? r === 0x20 || (r >= 0x09 && r <= 0x0d) : /\p{White_Space}/u.test(String.fromCodePoint(r)))
const test = (re: RegExp) => (r: number) => re.test(String.fromCodePoint(r))
export const isUpper = test(/\p{Lu}/u)
export const isLower = test(/\p{Ll}/u)
export const isTitle = test(/\p{Lt}/u)
export const isLetter = test(/\p{L}/u)
export const isDigit = test(/\p{Nd}/u)
export const isNumber = test(/\p{N}/u)
export const isPunct = test(/\p{P}/u)

/** Go maps one rune to one rune; where JS's mapping would grow ('ß' → 'SS') the rune is kept. */
function single(r: number, mapped: string): number {
  const code = mapped.codePointAt(0)!
  return mapped.length === String.fromCodePoint(code).length ? code : r
}
export const toUpper = (r: number): number => single(r, String.fromCodePoint(r).toUpperCase())
export const toLower = (r: number): number => single(r, String.fromCodePoint(r).toLowerCase())

/** Title case differs from upper case only for the Latin digraphs. */
const TITLE_DIGRAPHS: Record<number, number> = { 0x1c4: 0x1c5, 0x1c5: 0x1c5, 0x1c6: 0x1c5, 0x1c7: 0x1c8, 0x1c8: 0x1c8, 0x1c9: 0x1c8, 0x1ca: 0x1cb, 0x1cb: 0x1cb, 0x1cc: 0x1cb, 0x1f1: 0x1f2, 0x1f2: 0x1f2, 0x1f3: 0x1f2 }
export const toTitle = (r: number): number => TITLE_DIGRAPHS[r] ?? toUpper(r)
