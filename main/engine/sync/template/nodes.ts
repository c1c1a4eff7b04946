// The parse tree, shaped like Go's text/template/parse nodes. `nodeString` prints a node the way Go does in error
// context (`executing "t" at <.Secrets.x>`): template source only, never data.
import { goQuote } from './print.ts'
import { goString, textOf } from './values.ts'

interface At {
  /** UTF-16 index in the template text. */
  pos: number
}

export interface ListNode extends At {
  kind: 'list'
  nodes: Node[]
}
export interface TextNode extends At {
  kind: 'text'
  /** A Go string (bytes). */
  text: string
}
export interface ActionNode extends At {
  kind: 'action'
  pipe: PipeNode
}
export interface ControlNode extends At {
  kind: 'if' | 'range' | 'with'
  pipe: PipeNode
  list: ListNode
  elseList?: ListNode
}
export interface TemplateNode extends At {
  kind: 'template'
  name: string
  pipe?: PipeNode
}
export interface BreakNode extends At {
  kind: 'break' | 'continue'
}
export type Node = ListNode | TextNode | ActionNode | ControlNode | TemplateNode | BreakNode

export interface PipeNode extends At {
  kind: 'pipe'
  /** `$x = ...` rather than `$x := ...`. */
  isAssign: boolean
  decl: VariableNode[]
  cmds: CommandNode[]
}
export interface CommandNode extends At {
  kind: 'command'
  args: ArgNode[]
}
export interface IdentifierNode extends At {
  kind: 'identifier'
  ident: string
}
/** `$x.a.b`: ident is `['$x', 'a', 'b']`. */
export interface VariableNode extends At {
  kind: 'variable'
  ident: string[]
}
/** `.a.b`: ident is `['a', 'b']`. */
export interface FieldNode extends At {
  kind: 'field'
  ident: string[]
}
/** `(pipe).a.b` */
export interface ChainNode extends At {
  kind: 'chain'
  node: ArgNode
  field: string[]
}
export interface DotNode extends At {
  kind: 'dot'
}
export interface NilNode extends At {
  kind: 'nil'
}
export interface BoolNode extends At {
  kind: 'bool'
  value: boolean
}
export interface NumberNode extends At {
  kind: 'number'
  text: string
  /** Each set when the constant is representable as that type, as in Go. */
  int?: bigint
  uint?: bigint
  float?: number
  /** A character constant: its value is an int. */
  isChar: boolean
}
export interface StringNode extends At {
  kind: 'string'
  /** As written, quotes included. */
  quoted: string
  /** A Go string (bytes). */
  text: string
}
export type ArgNode = IdentifierNode | VariableNode | FieldNode | ChainNode | DotNode | NilNode | BoolNode | NumberNode | StringNode | PipeNode

export function nodeString(node: Node | ArgNode | CommandNode): string {
  switch (node.kind) {
    case 'list':
      return node.nodes.map(nodeString).join('')
    case 'text':
      return textOf(node.text)
    case 'action':
      return `{{${nodeString(node.pipe)}}}`
    case 'if':
    case 'range':
    case 'with':
      return `{{${node.kind} ${nodeString(node.pipe)}}}${nodeString(node.list)}${node.elseList ? `{{else}}${nodeString(node.elseList)}` : ''}{{end}}`
    case 'template':
      return `{{template ${textOf(goQuote(goString(node.name)))}${node.pipe ? ` ${nodeString(node.pipe)}` : ''}}}`
    case 'break':
    case 'continue':
      return `{{${node.kind}}}`
    case 'pipe': {
      const decl = node.decl.length ? `${node.decl.map(nodeString).join(', ')} ${node.isAssign ? '=' : ':='} ` : ''
      return decl + node.cmds.map(nodeString).join(' | ')
    }
    case 'command':
      return node.args.map((arg) => (arg.kind === 'pipe' ? `(${nodeString(arg)})` : nodeString(arg))).join(' ')
    case 'identifier':
      return node.ident
    case 'variable':
      return node.ident.join('.')
    case 'field':
      return node.ident.map((name) => `.${name}`).join('')
    case 'chain': {
      const head = node.node.kind === 'pipe' ? `(${nodeString(node.node)})` : nodeString(node.node)
      return head + node.field.map((name) => `.${name}`).join('')
    }
    case 'dot':
      return '.'
    case 'nil':
      return 'nil'
    case 'bool':
      return String(node.value)
    case 'number':
      return node.text
    case 'string':
      return node.quoted
  }
}

/** Go's parse.IsEmptyTree: only space and comments. An empty definition never replaces a real one. */
export function isEmptyTree(node: Node): boolean {
  if (node.kind === 'list') return node.nodes.every(isEmptyTree)
  if (node.kind === 'text') return /^[\t\n\v\f\r ]*$/.test(node.text)
  return false
}
