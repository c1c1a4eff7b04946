// The Events view as a user sees it: filters by label, the virtualised table by role, and its toolbar.
import type { Locator, Page } from 'playwright-core'

export type EventColumn = 'Time' | 'Source' | 'Severity' | 'Resource' | 'Message'
const COLUMNS: EventColumn[] = ['Time', 'Source', 'Severity', 'Resource', 'Message']

export class EventsPage {
  readonly heading: Locator
  readonly table: Locator
  /** The rows of events in the DOM (the header row left out): only those in view, as the list is virtualised. */
  readonly rows: Locator
  readonly source: Locator
  readonly namespace: Locator
  readonly severity: Locator
  readonly search: Locator
  readonly pauseButton: Locator
  readonly resumeButton: Locator
  readonly exportButton: Locator
  /** "3 of 12 events shown", and while paused how many arrived since. */
  readonly status: Locator

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Events', level: 1 })
    this.table = page.getByRole('table', { name: 'Events' })
    this.rows = this.table.getByRole('row').filter({ has: page.getByRole('cell') })
    this.source = page.getByRole('combobox', { name: /^Source/ })
    this.namespace = page.getByRole('combobox', { name: /^Namespace/ })
    this.severity = page.getByRole('combobox', { name: /^Severity/ })
    this.search = page.getByRole('searchbox', { name: 'Search' })
    this.pauseButton = page.getByRole('button', { name: 'Pause', exact: true })
    this.resumeButton = page.getByRole('button', { name: 'Resume', exact: true })
    this.exportButton = page.getByRole('button', { name: 'Export as JSON lines' })
    this.status = page.getByRole('status').filter({ hasText: /events? shown/ })
  }

  /** The rows about one resource (Kind/namespace/name), optionally only those whose message matches. */
  about(resource: string, message?: string | RegExp): Locator {
    const rows = this.rows.filter({ has: this.page.getByRole('cell', { name: resource, exact: true }) })
    return message === undefined ? rows : rows.filter({ has: this.page.getByRole('cell', { name: message, exact: typeof message === 'string' }) })
  }

  cell(row: Locator, column: EventColumn): Locator {
    return row.getByRole('cell').nth(COLUMNS.indexOf(column))
  }

  /** One column of every row in the DOM. */
  async column(column: EventColumn): Promise<string[]> {
    return this.rows.evaluateAll((rows, index) => rows.map((row) => row.querySelectorAll('[role=cell]')[index]?.textContent?.trim() ?? ''), COLUMNS.indexOf(column))
  }

  /** How many entries pass the filters, from "N of M events shown". */
  async shownCount(): Promise<{ shown: number; total: number }> {
    const match = /([\d,]+) of ([\d,]+) events? shown/.exec(await this.status.innerText())
    if (!match) throw new Error(`no count in the status: ${await this.status.innerText()}`)
    return { shown: Number(match[1]!.replace(/,/g, '')), total: Number(match[2]!.replace(/,/g, '')) }
  }
}
