// A set of Go text/templates that can call each other by name, as VSO builds one per destination: every
// template of the transformation is parsed into the same set, then each keyed one is rendered.
import { execute } from './exec.ts'
import { checkFunction } from './functions.ts'
import { isEmptyTree } from './nodes.ts'
import { parse, type Tree } from './parser.ts'
import { bytesOf, type Value } from './values.ts'

export { TemplateError } from './errors.ts'

export class TemplateSet {
  private readonly trees = new Map<string, Tree>()

  /**
   * Parses `text` as template `name`, with the templates it defines. A later definition of a name replaces an
   * earlier one, except by an empty one (Go's rule). Throws TemplateError.
   */
  parse(name: string, text: string): void {
    for (const [defined, tree] of parse(name, text, checkFunction)) {
      if (this.trees.has(defined) && isEmptyTree(tree.root)) continue
      this.trees.set(defined, tree)
    }
  }

  /** Renders template `name` with `data` as its dot. Throws TemplateError. */
  execute(name: string, data: Value): Buffer {
    return bytesOf(execute(this.trees, name, data))
  }
}
