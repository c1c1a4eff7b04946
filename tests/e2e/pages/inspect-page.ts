// The Inspect view as a user works it: pick a target, look at masked keys, reveal, hide, copy, read the history.
import type { Locator, Page } from 'playwright-core'

export class InspectPage {
  readonly heading: Locator
  readonly form: Locator
  /** The line that says what the last copy did. */
  readonly copyStatus: Locator

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Inspect', level: 1 })
    this.form = page.getByRole('form', { name: 'What to inspect' })
    this.copyStatus = page.getByRole('status').filter({ hasText: /Copied/ })
  }

  async inspectSecret(namespace: string, name: string): Promise<void> {
    await this.form.getByRole('radio', { name: 'Kubernetes Secret' }).check()
    await this.form.getByRole('textbox', { name: 'Namespace' }).fill(namespace)
    await this.form.getByRole('textbox', { name: 'Name', exact: true }).fill(name)
    await this.form.getByRole('button', { name: 'Inspect' }).click()
  }

  async inspectKv(mount: string, path: string): Promise<void> {
    await this.form.getByRole('radio', { name: 'Vault KV' }).check()
    await this.form.getByRole('textbox', { name: 'Mount' }).fill(mount)
    await this.form.getByRole('textbox', { name: 'Path' }).fill(path)
    await this.form.getByRole('button', { name: 'Inspect' }).click()
  }

  /** The keys table of a target, by its title: "Secret ns/name" or "mount/path". */
  keys(title: string): Locator {
    return this.page.getByRole('table', { name: `Keys of ${title}` })
  }

  row(title: string, key: string): Locator {
    return this.keys(title).getByRole('row').filter({ has: this.page.getByRole('rowheader', { name: key, exact: true }) })
  }

  size(title: string, key: string): Locator {
    return this.row(title, key).getByRole('cell').nth(0)
  }

  value(title: string, key: string): Locator {
    return this.row(title, key).getByLabel(`Value of ${key}`)
  }

  /** The cell that holds the value, or its mask, and the truncation note. */
  valueCell(title: string, key: string): Locator {
    return this.row(title, key).getByRole('cell').nth(1)
  }

  async reveal(title: string, key: string): Promise<void> {
    await this.row(title, key).getByRole('button', { name: `Reveal ${key}` }).click()
  }

  async hide(title: string, key: string): Promise<void> {
    await this.row(title, key).getByRole('button', { name: `Hide ${key}` }).click()
  }

  async copy(title: string, key: string): Promise<void> {
    await this.row(title, key).getByRole('button', { name: `Copy ${key}` }).click()
  }

  history(title: string): Locator {
    return this.page.getByRole('table', { name: `Versions of ${title}` })
  }

  /** What the history says a version changed. */
  change(title: string, version: number): Locator {
    return this.history(title)
      .getByRole('row')
      .filter({ has: this.page.getByRole('rowheader', { name: new RegExp(`^${version}( \\(current\\))?$`) }) })
      .getByRole('cell')
      .nth(1)
  }

  async showVersion(title: string, version: number): Promise<void> {
    await this.history(title).getByRole('button', { name: `Show keys of version ${version}` }).click()
  }
}
