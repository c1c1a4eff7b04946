// Runs a parsed template over data, with Go's semantics: missing map keys are `<no value>` (VSO's default
// missingkey), maps range in key order, variables are scoped to their control structure, and every argument is
// checked against its function's parameter type. Errors name the position and the template source there, never a
// value.
import { FuncError, location, TemplateError } from './errors.ts'
import { checkFunction, lookupFunction, SHORT_CIRCUIT } from './functions.ts'
import { nodeString, type ArgNode, type BoolNode, type CommandNode, type ControlNode, type FieldNode, type IdentifierNode, type Node, type NumberNode, type NilNode, type PipeNode, type StringNode, type TemplateNode, type VariableNode } from './nodes.ts'
import type { Tree } from './parser.ts'
import { goQuote, printAction } from './print.ts'
import { GO_TYPE, type GoFunction, type ParamType } from './signature.ts'
import { goString, GoStruct, isList, isMap, isNil, isTrue, sortedKeys, textOf, typeName, type Value } from './values.ts'

/** No value piped in from a previous command. */
const MISSING = Symbol('missing')
type Piped = Value | typeof MISSING

/** How deep `{{template}}` may nest; JS's stack is smaller than Go's. */
const MAX_DEPTH = 500

type Signal = 'break' | 'continue' | undefined

interface Variable {
  name: string
  value: Value
}

const quote = (name: string) => textOf(goQuote(goString(name)))

/** Renders `name` from `trees` with `data` as dot and `$`; returns a Go string (bytes). Throws TemplateError. */
export function execute(trees: ReadonlyMap<string, Tree>, name: string, data: Value): string {
  const tree = trees.get(name)
  if (!tree) throw new TemplateError(`template: no template ${quote(name)} is defined`)
  const out: string[] = []
  try {
    new Execution(trees, tree, [{ name: '$', value: data }], 0, out).run(data)
  } catch (error) {
    if (error instanceof RangeError) throw new TemplateError(`template: ${name}: execution too deep (recursive templates?)`)
    throw error
  }
  return out.join('')
}

class Execution {
  private node: Node | ArgNode | CommandNode | undefined

  constructor(
    private readonly trees: ReadonlyMap<string, Tree>,
    private readonly tree: Tree,
    private readonly vars: Variable[],
    private readonly depth: number,
    private readonly out: string[],
  ) {}

  run(dot: Value) {
    this.walk(dot, this.tree.root)
  }

  private at(node: Node | ArgNode | CommandNode) {
    this.node = node
  }

  private fail(message: string): never {
    const { tree, node } = this
    if (!node) throw new TemplateError(`template: ${tree.name}: ${message}`)
    throw new TemplateError(`template: ${tree.parseName}:${location(tree.text, node.pos)}: executing ${quote(tree.name)} at <${nodeString(node)}>: ${message}`)
  }

  // ---- variables ----

  private variable(name: string): Variable {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!
    this.fail(`undefined variable: ${name}`)
  }

  private popTo(mark: number) {
    this.vars.length = mark
  }

  // ---- nodes ----

  private walk(dot: Value, node: Node): Signal {
    this.at(node)
    switch (node.kind) {
      case 'action': {
        const value = this.evalPipeline(dot, node.pipe)
        if (node.pipe.decl.length === 0) {
          this.at(node)
          this.out.push(printAction(value))
        }
        return undefined
      }
      case 'break':
      case 'continue':
        return node.kind
      case 'if':
      case 'with':
        return this.walkIfOrWith(dot, node)
      case 'list':
        for (const child of node.nodes) {
          const signal = this.walk(dot, child)
          if (signal) return signal
        }
        return undefined
      case 'range':
        this.walkRange(dot, node)
        return undefined
      case 'template':
        this.walkTemplate(dot, node)
        return undefined
      case 'text':
        this.out.push(node.text)
        return undefined
    }
  }

  private walkIfOrWith(dot: Value, node: ControlNode): Signal {
    const mark = this.vars.length
    try {
      const value = this.evalPipeline(dot, node.pipe)
      if (isTrue(value)) return this.walk(node.kind === 'with' ? value : dot, node.list)
      return node.elseList ? this.walk(dot, node.elseList) : undefined
    } finally {
      this.popTo(mark)
    }
  }

  private walkRange(dot: Value, node: ControlNode) {
    this.at(node)
    const mark = this.vars.length
    try {
      const value = this.evalPipeline(dot, node.pipe)
      const { decl, isAssign } = node.pipe
      const inner = this.vars.length
      /** Sets the range variables (their declarations are on top of the stack) and runs the body once. */
      const once = (index: Value, elem: Value): Signal => {
        if (decl.length > 0) {
          if (isAssign) this.variable(decl[0]!.ident[0]!).value = decl.length > 1 ? index : elem
          else this.vars[inner - 1]!.value = elem
        }
        if (decl.length > 1) {
          if (isAssign) this.variable(decl[1]!.ident[0]!).value = elem
          else this.vars[inner - 2]!.value = index
        }
        try {
          return this.walk(elem, node.list)
        } finally {
          this.popTo(inner)
        }
      }
      let ran = false
      for (const [index, elem] of this.rangeEntries(value, decl.length)) {
        ran = true
        if (once(index, elem) === 'break') return
      }
      if (!ran && node.elseList) this.walk(dot, node.elseList)
    } finally {
      this.popTo(mark)
    }
  }

  /** What range visits: a list's items, a map's entries by key, 0..n-1 of an int; nothing for a missing value. */
  private *rangeEntries(value: Value, variables: number): Generator<[index: Value, elem: Value]> {
    if (value === undefined) return
    if (typeof value === 'bigint') {
      if (variables > 1) this.fail("can't use an int to iterate over more than one variable")
      for (let i = 0n; i < value; i++) yield [undefined, i]
    } else if (isList(value)) {
      for (const [i, elem] of value.entries()) yield [BigInt(i), elem]
    } else if (isMap(value)) {
      for (const key of sortedKeys(value)) yield [key, value.get(key)]
    } else {
      this.fail(`range can't iterate over a value of type ${typeName(value)}`)
    }
  }

  private walkTemplate(dot: Value, node: TemplateNode) {
    this.at(node)
    const tree = this.trees.get(node.name)
    if (!tree) this.fail(`template ${quote(node.name)} not defined`)
    if (this.depth >= MAX_DEPTH) this.fail(`exceeded maximum template depth (${MAX_DEPTH})`)
    const value = node.pipe ? this.evalPipeline(dot, node.pipe) : undefined
    new Execution(this.trees, tree, [{ name: '$', value }], this.depth + 1, this.out).run(value)
  }

  // ---- pipelines ----

  private evalPipeline(dot: Value, pipe: PipeNode): Value {
    this.at(pipe)
    let value: Piped = MISSING
    for (const cmd of pipe.cmds) {
      // a nil held in a map or list reaches the next command as no value at all, as Go unwraps interfaces
      value = this.evalCommand(dot, cmd, value) ?? undefined
    }
    const result = value === MISSING ? undefined : value
    for (const variable of pipe.decl) {
      if (pipe.isAssign) this.variable(variable.ident[0]!).value = result
      else this.vars.push({ name: variable.ident[0]!, value: result })
    }
    return result
  }

  private notAFunction(cmd: CommandNode, final: Piped) {
    if (cmd.args.length > 1 || final !== MISSING) this.fail(`can't give argument to non-function ${nodeString(cmd.args[0]!)}`)
  }

  private evalCommand(dot: Value, cmd: CommandNode, final: Piped): Value {
    const [first, ...args] = cmd.args as [ArgNode, ...ArgNode[]]
    const hasArgs = args.length > 0 || final !== MISSING
    switch (first.kind) {
      case 'field':
        return this.evalField(dot, first, hasArgs)
      case 'chain':
        return this.evalChain(dot, first, hasArgs)
      case 'identifier':
        return this.evalFunction(dot, first, cmd, args, final)
      case 'pipe':
        this.notAFunction(cmd, final)
        return this.evalPipeline(dot, first)
      case 'variable':
        return this.evalVariable(first, dot, hasArgs)
    }
    this.at(first)
    this.notAFunction(cmd, final)
    switch (first.kind) {
      case 'bool':
        return first.value
      case 'dot':
        return dot
      case 'nil':
        return this.fail('nil is not a command')
      case 'number':
        return this.idealConstant(first)
      case 'string':
        return first.text
    }
  }

  /** A number written in the template, typed as Go types an untyped constant: int, or float64 if it looks like one. */
  private idealConstant(node: NumberNode): Value {
    this.at(node)
    const hexInt = /^[+-]?0[xX]/.test(node.text) && !/[pP]/.test(node.text)
    if (node.float !== undefined && !node.isChar && !hexInt && /[.eEpP]/.test(node.text)) return node.float
    if (node.int !== undefined) return node.int
    this.fail(`${node.text} overflows int`)
  }

  private evalField(dot: Value, node: FieldNode, hasArgs: boolean): Value {
    this.at(node)
    return this.evalFieldChain(dot, node.ident, hasArgs)
  }

  private evalChain(dot: Value, node: ArgNode & { kind: 'chain' }, hasArgs: boolean): Value {
    this.at(node)
    if (node.node.kind === 'nil') this.fail(`indirection through explicit nil in ${nodeString(node)}`)
    return this.evalFieldChain(this.evalValue(dot, node.node), node.field, hasArgs)
  }

  private evalVariable(node: VariableNode, dot: Value, hasArgs: boolean): Value {
    this.at(node)
    const value = this.variable(node.ident[0]!).value
    if (node.ident.length === 1) {
      if (hasArgs) this.fail(`can't give argument to non-function ${nodeString(node)}`)
      return value
    }
    return this.evalFieldChain(value, node.ident.slice(1), hasArgs)
  }

  private evalFieldChain(receiver: Value, names: string[], hasArgs: boolean): Value {
    names.forEach((name, i) => (receiver = this.fieldOf(receiver, name, hasArgs && i === names.length - 1)))
    return receiver
  }

  /** `.name` of a map or of the input struct; of a missing value it is missing too. */
  private fieldOf(receiver: Value, name: string, hasArgs: boolean): Value {
    if (receiver === undefined) return undefined
    if (receiver === null) this.fail(`nil pointer evaluating interface {}.${name}`)
    if (receiver instanceof GoStruct) {
      const field = receiver.fields.get(name)
      if (!field) this.fail(`can't evaluate field ${name} in type ${receiver.typeName}`)
      if (hasArgs) this.fail(`${name} has arguments but cannot be invoked as function`)
      return field.value
    }
    if (isMap(receiver)) {
      if (hasArgs) this.fail(`${name} is not a method but has arguments`)
      const key = goString(name)
      return receiver.has(key) ? receiver.get(key) : undefined
    }
    this.fail(`can't evaluate field ${name} in type ${typeName(receiver)}`)
  }

  // ---- calls ----

  private evalFunction(dot: Value, node: IdentifierNode, cmd: CommandNode | IdentifierNode, args: ArgNode[], final: Piped): Value {
    this.at(node)
    const name = node.ident
    if (SHORT_CIRCUIT.has(name)) return this.evalAndOr(dot, name, args, final)
    const fn = lookupFunction(name)
    if (!fn) this.fail(checkFunction(name) ?? `${JSON.stringify(name)} is not a defined function`)
    return this.evalCall(dot, fn, cmd, name, args, final)
  }

  /** and/or: the first argument that decides, else the last; later arguments are not evaluated. */
  private evalAndOr(dot: Value, name: string, args: ArgNode[], final: Piped): Value {
    if (args.length + (final === MISSING ? 0 : 1) < 1) this.fail(`wrong number of args for ${name}: want at least 1 got ${args.length}`)
    let value: Value
    for (const arg of args) {
      value = this.evalValue(dot, arg)
      if (isTrue(value) === (name === 'or')) return value
    }
    return final === MISSING ? value : final
  }

  private evalCall(dot: Value, fn: GoFunction, cmd: CommandNode | IdentifierNode, name: string, args: ArgNode[], final: Piped): Value {
    const count = args.length + (final === MISSING ? 0 : 1)
    const fixed = fn.params.length
    if (fn.variadic) {
      if (count < fixed) this.fail(`wrong number of args for ${name}: want at least ${fixed} got ${args.length}`)
    } else if (count !== fixed) {
      this.fail(`wrong number of args for ${name}: want ${fixed} got ${count}`)
    }
    const paramType = (i: number): ParamType => (i < fixed ? fn.params[i]! : fn.variadic!)
    const argv: unknown[] = args.map((arg, i) => this.evalArg(dot, paramType(i), arg))
    const nodes: (ArgNode | undefined)[] = [...args]
    if (final !== MISSING) {
      argv.push(this.convert(final, paramType(count - 1)))
      nodes.push(undefined)
    }
    try {
      return fn.call(argv, nodes) ?? null
    } catch (error) {
      this.at(cmd)
      // only our own messages are shown: others (a JS error) may quote the data
      const reason = error instanceof FuncError ? error.message : error instanceof RangeError ? 'the result is too large' : 'internal error in Vault Tray'
      this.fail(`error calling ${name}: ${reason}`)
    }
  }

  /** An argument as it is, untyped: Go's and/or arguments and a chain's head. */
  private evalValue(dot: Value, node: ArgNode): Value {
    this.at(node)
    switch (node.kind) {
      case 'dot':
        return dot
      case 'nil':
        return null
      case 'field':
        return this.evalField(dot, node, false)
      case 'variable':
        return this.evalVariable(node, dot, false)
      case 'pipe':
        return this.evalPipeline(dot, node)
      case 'identifier':
        return this.evalFunction(dot, node, node, [], MISSING)
      case 'chain':
        return this.evalChain(dot, node, false)
      case 'bool':
        return node.value
      case 'string':
        return node.text
      case 'number':
        return this.idealConstant(node)
    }
  }

  /** An argument for a parameter of `type`, checked as Go's reflection checks it. */
  private evalArg(dot: Value, type: ParamType, node: ArgNode): unknown {
    this.at(node)
    if (type !== 'any' && (node.kind === 'nil' || node.kind === 'bool' || node.kind === 'number' || node.kind === 'string')) return this.typedLiteral(type, node)
    return this.convert(this.evalValue(dot, node), type)
  }

  /** A literal given to a typed parameter takes that type, as Go's untyped constants do. */
  private typedLiteral(type: Exclude<ParamType, 'any'>, node: NilNode | BoolNode | NumberNode | StringNode): unknown {
    if (node.kind === 'nil') return type === 'map' ? null : this.fail(`cannot assign nil to ${GO_TYPE[type]}`)
    switch (type) {
      case 'bool':
        if (node.kind === 'bool') return node.value
        break
      case 'string':
        if (node.kind === 'string') return node.text
        break
      case 'int':
        if (node.kind === 'number' && node.int !== undefined) return Number(node.int)
        break
      case 'float64':
        if (node.kind === 'number' && node.float !== undefined) return node.float
        break
      case 'map':
        return this.fail(`can't handle ${nodeString(node)} for arg of type ${GO_TYPE.map}`)
    }
    const expected = { bool: 'bool', string: 'string', int: 'integer', float64: 'float' }[type]
    return this.fail(`expected ${expected}; found ${nodeString(node)}`)
  }

  /** Go's validateType: nil only where a nil fits, and no conversions between types. */
  private convert(value: Value, type: ParamType): unknown {
    if (isNil(value)) {
      if (type === 'any' || type === 'map') return null
      if (value === undefined) this.fail(`invalid value; expected ${GO_TYPE[type]}`)
      this.fail(`wrong type for value; expected ${GO_TYPE[type]}; got interface {}`)
    }
    if (type === 'any') return value
    if (type === 'string' && typeof value === 'string') return value
    if (type === 'int' && typeof value === 'bigint') return Number(value)
    if (type === 'float64' && typeof value === 'number') return value
    if (type === 'bool' && typeof value === 'boolean') return value
    if (type === 'map' && isMap(value)) return value
    this.fail(`wrong type for value; expected ${GO_TYPE[type]}; got ${typeName(value)}`)
  }
}
