// Parses template text into trees, as Go's text/template/parse does: one tree for the text and one for each
// `define` or `block` in it. Function names are checked here, so an unknown, forbidden or unsupported function
// fails when the template is validated, before anything is rendered.
import { location, TemplateError } from './errors.ts'
import { lex, SyntaxFailure, type Token, type TokenType } from './lexer.ts'
import { isEmptyTree, nodeString, type ArgNode, type CommandNode, type ListNode, type Node, type NumberNode, type PipeNode, type VariableNode } from './nodes.ts'
import { goQuote } from './print.ts'
import { charValue, INT64_MAX, INT64_MIN, parseFloat, parseInt, parseUint, unquote } from './strconv.ts'
import { goString, textOf } from './values.ts'

export interface Tree {
  name: string
  /** The template whose text this tree was parsed from (differs for a `define`), for error positions. */
  parseName: string
  text: string
  root: ListNode
}

/** Returns why a function cannot be called, or undefined when it can. */
export type FunctionCheck = (name: string) => string | undefined

/** Parses one template's text: the trees it defines, by name. */
export function parse(name: string, text: string, checkFunction: FunctionCheck): Map<string, Tree> {
  const trees = new Map<string, Tree>()
  try {
    new Parser(name, text, lex(text), checkFunction, trees).parseTemplate(name)
  } catch (error) {
    if (error instanceof SyntaxFailure) throw new TemplateError(`template: ${name}:${location(text, error.pos)}: ${error.message}`)
    if (error instanceof RangeError) throw new TemplateError(`template: ${name}: max expression depth exceeded`)
    throw error
  }
  return trees
}

type EndNode = { kind: 'end'; pos: number } | { kind: 'else'; pos: number }

/** Go's item.String(), for "unexpected ..." messages. */
function tokenString(token: Token): string {
  if (token.type === 'eof') return 'EOF'
  if (['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'nil', 'range', 'template', 'with', 'dot'].includes(token.type)) return `<${token.val}>`
  const runes = [...token.val]
  const quote = (s: string) => textOf(goQuote(goString(s)))
  return runes.length > 10 ? `${quote(runes.slice(0, 10).join(''))}...` : quote(token.val)
}

class Parser {
  private index = 0
  private vars: string[] = ['$']
  private rangeDepth = 0

  constructor(
    private readonly name: string,
    private readonly text: string,
    private readonly tokens: Token[],
    private readonly checkFunction: FunctionCheck,
    private readonly trees: Map<string, Tree>,
  ) {}

  // ---- tokens ----

  private next(): Token {
    return this.tokens[this.index++] ?? this.tokens[this.tokens.length - 1]!
  }

  private backup(count = 1) {
    this.index -= count
  }

  private peek(): Token {
    return this.tokens[this.index] ?? this.tokens[this.tokens.length - 1]!
  }

  private nextNonSpace(): Token {
    let token = this.next()
    while (token.type === 'space') token = this.next()
    return token
  }

  private peekNonSpace(): Token {
    const token = this.nextNonSpace()
    this.backup()
    return token
  }

  private fail(pos: number, message: string): never {
    throw new SyntaxFailure(pos, message)
  }

  private unexpected(token: Token, context: string): never {
    this.fail(token.pos, `unexpected ${tokenString(token)} in ${context}`)
  }

  private expect(type: TokenType, context: string): Token {
    const token = this.nextNonSpace()
    if (token.type !== type) this.unexpected(token, context)
    return token
  }

  // ---- trees ----

  /** Parses the whole text as the tree `name`, and the definitions inside it. */
  parseTemplate(name: string) {
    const root = this.list(this.peek().pos)
    while (this.peek().type !== 'eof') {
      if (this.peek().type === 'leftDelim') {
        const delim = this.next()
        if (this.nextNonSpace().type === 'define') {
          this.parseDefinition()
          continue
        }
        this.index = this.tokens.indexOf(delim)
      }
      const node = this.textOrAction()
      if (node.kind === 'end' || node.kind === 'else') this.fail(node.pos, `unexpected {{${node.kind}}}`)
      root.nodes.push(node)
    }
    this.add({ name, parseName: this.name, text: this.text, root }, root.pos)
  }

  /** Within one text a name may be defined once (an empty definition aside), as in Go. */
  private add(tree: Tree, pos: number) {
    const existing = this.trees.get(tree.name)
    if (!existing || isEmptyTree(existing.root)) this.trees.set(tree.name, tree)
    else if (!isEmptyTree(tree.root)) this.fail(pos, `template: multiple definition of template ${JSON.stringify(tree.name)}`)
  }

  /** Parses a nested tree (define or block body) with its own variables. */
  private inNewTree<T>(parse: () => T): T {
    const [vars, rangeDepth] = [this.vars, this.rangeDepth]
    this.vars = ['$']
    this.rangeDepth = 0
    try {
      return parse()
    } finally {
      this.vars = vars
      this.rangeDepth = rangeDepth
    }
  }

  private templateName(token: Token, context: string): string {
    if (token.type !== 'string' && token.type !== 'rawString') this.unexpected(token, context)
    const name = unquote(token.val)
    if (name === undefined) this.fail(token.pos, 'invalid syntax')
    return textOf(name)
  }

  private parseDefinition() {
    const context = 'define clause'
    const nameToken = this.nextNonSpace()
    const name = this.templateName(nameToken, context)
    this.expect('rightDelim', context)
    this.inNewTree(() => {
      const [root, end] = this.itemList()
      if (end.kind !== 'end') this.fail(end.pos, `unexpected {{${end.kind}}} in ${context}`)
      this.add({ name, parseName: this.name, text: this.text, root }, nameToken.pos)
    })
  }

  private list(pos: number): ListNode {
    return { kind: 'list', pos, nodes: [] }
  }

  /** Nodes up to `{{end}}` or `{{else}}`, which is returned too. */
  private itemList(): [ListNode, EndNode] {
    const list = this.list(this.peekNonSpace().pos)
    while (this.peekNonSpace().type !== 'eof') {
      const node = this.textOrAction()
      if (node.kind === 'end' || node.kind === 'else') return [list, node]
      list.nodes.push(node)
    }
    this.fail(this.peek().pos, 'unexpected EOF')
  }

  private textOrAction(): Node | EndNode {
    const token = this.nextNonSpace()
    if (token.type === 'text') return { kind: 'text', pos: token.pos, text: goString(token.val) }
    if (token.type === 'leftDelim') return this.action()
    this.unexpected(token, 'input')
  }

  // ---- actions ----

  private action(): Node | EndNode {
    const token = this.nextNonSpace()
    switch (token.type) {
      case 'block':
        return this.blockControl()
      case 'break':
      case 'continue':
        return this.breakControl(token)
      case 'else':
        return this.elseControl()
      case 'end':
        return { kind: 'end', pos: this.expect('rightDelim', 'end').pos }
      case 'if':
      case 'range':
      case 'with':
        return this.control(token.type)
      case 'template':
        return this.templateControl()
    }
    this.backup()
    const pos = this.peek().pos
    return { kind: 'action', pos, pipe: this.pipeline('command', 'rightDelim') }
  }

  private breakControl(token: Token): Node {
    const next = this.nextNonSpace()
    if (next.type !== 'rightDelim') this.unexpected(next, `{{${token.type}}}`)
    if (this.rangeDepth === 0) this.fail(token.pos, `{{${token.type}}} outside {{range}}`)
    return { kind: token.type as 'break' | 'continue', pos: token.pos }
  }

  private elseControl(): EndNode {
    const peek = this.peekNonSpace()
    // `else if` and `else with`: the control that follows closes the chain
    if (peek.type === 'if' || peek.type === 'with') return { kind: 'else', pos: peek.pos }
    return { kind: 'else', pos: this.expect('rightDelim', 'else').pos }
  }

  private control(context: 'if' | 'range' | 'with'): Node {
    const mark = this.vars.length
    try {
      const pipe = this.pipeline(context, 'rightDelim')
      if (context === 'range') this.rangeDepth++
      const [list, next] = this.itemList()
      if (context === 'range') this.rangeDepth--
      let elseList: ListNode | undefined
      if (next.kind === 'else') {
        if ((context === 'if' || context === 'with') && this.peek().type === context) {
          this.next()
          elseList = this.list(next.pos)
          elseList.nodes.push(this.control(context))
        } else {
          const [list, end] = this.itemList()
          if (end.kind !== 'end') this.fail(end.pos, `expected end; found {{${end.kind}}}`)
          elseList = list
        }
      }
      return { kind: context, pos: pipe.pos, pipe, list, elseList }
    } finally {
      this.vars.length = mark
    }
  }

  private blockControl(): Node {
    const context = 'block clause'
    const token = this.nextNonSpace()
    const name = this.templateName(token, context)
    const pipe = this.pipeline(context, 'rightDelim')
    this.inNewTree(() => {
      const [root, end] = this.itemList()
      if (end.kind !== 'end') this.fail(end.pos, `unexpected {{${end.kind}}} in ${context}`)
      this.add({ name, parseName: this.name, text: this.text, root }, token.pos)
    })
    return { kind: 'template', pos: token.pos, name, pipe }
  }

  private templateControl(): Node {
    const context = 'template clause'
    const token = this.nextNonSpace()
    const name = this.templateName(token, context)
    let pipe: PipeNode | undefined
    if (this.nextNonSpace().type !== 'rightDelim') {
      this.backup()
      pipe = this.pipeline(context, 'rightDelim')
    }
    return { kind: 'template', pos: token.pos, name, pipe }
  }

  // ---- pipelines ----

  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const start = this.peekNonSpace()
    const pipe: PipeNode = { kind: 'pipe', pos: start.pos, isAssign: false, decl: [], cmds: [] }
    this.declarations(pipe, context)
    for (;;) {
      const token = this.nextNonSpace()
      if (token.type === end) {
        this.checkPipeline(pipe, context, token)
        return pipe
      }
      switch (token.type) {
        case 'bool':
        case 'charConstant':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup()
          pipe.cmds.push(this.command())
          break
        default:
          this.unexpected(token, context)
      }
    }
  }

  /** `$x :=`, `$x =`, and range's `$k, $v :=`. */
  private declarations(pipe: PipeNode, context: string) {
    for (;;) {
      const variable = this.peekNonSpace()
      if (variable.type !== 'variable') return
      const variableIndex = this.index
      this.nextNonSpace()
      const next = this.peekNonSpace()
      const declared: VariableNode = { kind: 'variable', pos: variable.pos, ident: [variable.val] }
      if (next.type === 'assign' || next.type === 'declare') {
        pipe.isAssign = next.type === 'assign'
        this.nextNonSpace()
        pipe.decl.push(declared)
        this.vars.push(variable.val)
        return
      }
      if (next.type === 'char' && next.val === ',') {
        this.nextNonSpace()
        pipe.decl.push(declared)
        this.vars.push(variable.val)
        if (context === 'range' && pipe.decl.length < 2) {
          const after = this.peekNonSpace().type
          if (after === 'variable' || after === 'rightDelim' || after === 'rightParen') continue
          this.fail(next.pos, 'range can only initialize variables')
        }
        this.fail(next.pos, `too many declarations in ${context}`)
      }
      // not a declaration: the variable starts the first command
      this.index = variableIndex
      return
    }
  }

  private checkPipeline(pipe: PipeNode, context: string, end: Token) {
    if (pipe.cmds.length === 0) this.fail(end.pos, `missing value for ${context}`)
    pipe.cmds.slice(1).forEach((cmd, i) => {
      const first = cmd.args[0]!
      if (['bool', 'dot', 'nil', 'number', 'string'].includes(first.kind)) this.fail(first.pos, `non executable command in pipeline stage ${i + 2}`)
    })
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: 'command', pos: this.peekNonSpace().pos, args: [] }
    for (;;) {
      this.peekNonSpace()
      const operand = this.operand()
      if (operand) cmd.args.push(operand)
      const token = this.next()
      if (token.type === 'space') continue
      if (token.type === 'rightDelim' || token.type === 'rightParen') this.backup()
      else if (token.type !== 'pipe') this.unexpected(token, 'operand')
      break
    }
    if (cmd.args.length === 0) this.fail(cmd.pos, 'empty command')
    return cmd
  }

  /** A term followed by `.field`s. */
  private operand(): ArgNode | undefined {
    const node = this.term()
    if (!node || this.peek().type !== 'field') return node
    // Go gives the whole chain the position of its first added field
    const pos = this.peek().pos
    const fields: string[] = []
    while (this.peek().type === 'field') fields.push(this.next().val.slice(1))
    if (node.kind === 'field' || node.kind === 'variable') return { ...node, pos, ident: [...node.ident, ...fields] }
    if (['bool', 'string', 'number', 'nil', 'dot'].includes(node.kind)) this.fail(pos, `unexpected . after term ${JSON.stringify(nodeString(node))}`)
    return { kind: 'chain', pos, node, field: fields }
  }

  private term(): ArgNode | undefined {
    const token = this.nextNonSpace()
    switch (token.type) {
      case 'identifier': {
        const problem = this.checkFunction(token.val)
        if (problem) this.fail(token.pos, problem)
        return { kind: 'identifier', pos: token.pos, ident: token.val }
      }
      case 'dot':
        return { kind: 'dot', pos: token.pos }
      case 'nil':
        return { kind: 'nil', pos: token.pos }
      case 'variable':
        return this.useVariable(token)
      case 'field':
        return { kind: 'field', pos: token.pos, ident: [token.val.slice(1)] }
      case 'bool':
        return { kind: 'bool', pos: token.pos, value: token.val === 'true' }
      case 'charConstant':
      case 'number':
        return this.number(token)
      case 'leftParen':
        return this.pipeline('parenthesized pipeline', 'rightParen')
      case 'string':
      case 'rawString': {
        const text = unquote(token.val)
        if (text === undefined) this.fail(token.pos, 'invalid syntax')
        return { kind: 'string', pos: token.pos, quoted: token.val, text }
      }
    }
    this.backup()
    return undefined
  }

  private useVariable(token: Token): VariableNode {
    if (!this.vars.includes(token.val)) this.fail(token.pos, `undefined variable ${JSON.stringify(token.val)}`)
    return { kind: 'variable', pos: token.pos, ident: [token.val] }
  }

  /** Go's NumberNode: the constant is classified as int, uint and float at once where it fits. */
  private number(token: Token): NumberNode {
    const node: NumberNode = { kind: 'number', pos: token.pos, text: token.val, isChar: token.type === 'charConstant' }
    if (node.isChar) {
      const value = charValue(token.val)
      if (value === undefined) this.fail(token.pos, `malformed character constant: ${token.val}`)
      return { ...node, int: BigInt(value), uint: BigInt(value), float: value }
    }
    if (token.val.endsWith('i')) this.fail(token.pos, 'complex numbers are not supported')
    const uint = parseUint(token.val, 0)
    const int = parseInt(token.val, 0)
    if (int !== undefined) return { ...node, int, uint: int === 0n ? 0n : uint, float: Number(int) }
    if (uint !== undefined) return { ...node, uint, float: Number(uint) }
    const float = parseFloat(token.val)
    if (float === undefined) this.fail(token.pos, `illegal number syntax: ${JSON.stringify(token.val)}`)
    if (!/[.eEpP]/.test(token.val)) this.fail(token.pos, `integer overflow: ${JSON.stringify(token.val)}`)
    const integral = Number.isInteger(float)
    return {
      ...node,
      float,
      int: integral && float >= Number(INT64_MIN) && float < Number(INT64_MAX) ? BigInt(float) : undefined,
      uint: integral && float >= 0 && float < 2 ** 64 ? BigInt(float) : undefined,
    }
  }
}
