// Go's path package (and path/filepath, which is the same on Linux, where VSO runs).
import { fixed, type GoFunction } from '../signature.ts'

/** path.Clean: one slash between elements, no `.`, `..` resolved where it can be. */
export function clean(path: string): string {
  if (path === '') return '.'
  const rooted = path.startsWith('/')
  const out: string[] = []
  let dotdot = 0
  for (const element of path.split('/')) {
    if (element === '' || element === '.') continue
    if (element === '..') {
      if (out.length > dotdot) out.pop()
      else if (!rooted) {
        out.push('..')
        dotdot = out.length
      }
      continue
    }
    out.push(element)
  }
  const joined = (rooted ? '/' : '') + out.join('/')
  return joined === '' ? '.' : joined
}

function base(path: string): string {
  if (path === '') return '.'
  const trimmed = path.replace(/\/+$/, '')
  if (trimmed === '') return '/'
  return trimmed.slice(trimmed.lastIndexOf('/') + 1)
}

const dir = (path: string) => clean(path.slice(0, path.lastIndexOf('/') + 1))

function ext(path: string): string {
  for (let i = path.length - 1; i >= 0 && path[i] !== '/'; i--) if (path[i] === '.') return path.slice(i)
  return ''
}

const isAbs = (path: string) => path.startsWith('/')

export const PATH_FUNCTIONS: Record<string, GoFunction> = {
  base: fixed(['string'], base),
  dir: fixed(['string'], dir),
  clean: fixed(['string'], clean),
  ext: fixed(['string'], ext),
  isAbs: fixed(['string'], isAbs),
  osBase: fixed(['string'], base),
  osDir: fixed(['string'], dir),
  osClean: fixed(['string'], clean),
  osExt: fixed(['string'], ext),
  osIsAbs: fixed(['string'], isAbs),
}
