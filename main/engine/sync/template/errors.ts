// Template errors read like Go's (`template: name:line:col: ...`) so messages match what VSO users know. They name
// templates, positions, functions and types, and never a value being rendered: those are secrets.

/** A template failed to parse or to execute. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TemplateError'
  }
}

/** Thrown by a template function; the executor adds `error calling <name>:` and the position. */
export class FuncError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FuncError'
  }
}

/**
 * `line:col` of a position (a UTF-16 index) in a template's text. The column is Go's: the byte offset within the
 * line, counted from 0.
 */
export function location(text: string, pos: number): string {
  const before = text.slice(0, pos)
  const lineStart = before.lastIndexOf('\n') + 1
  const line = before.split('\n').length
  return `${line}:${Buffer.byteLength(before.slice(lineStart), 'utf8')}`
}
