/**
 * Table columns in one line each: `title` is a locale key (a literal such as 'ID' passes through
 * `t` unchanged), translated when the list is built, so a `computed` list follows the locale.
 * Columns whose cells look the same on every page (amounts, times, statuses, a link to the row's
 * page, its customer, parameters, an execution's counters, trigger and duration) draw their own
 * cells; the others are drawn by the page's cell slot of the same name. A column is remembered by
 * its data field, else its slot (see `useColumnSettings`).
 */
import { h } from 'vue';
import { RouterLink } from 'vue-router';
import { Tag, type TableColumnData, type TableData } from '@arco-design/web-vue';
import StatusTag from '@/components/status-tag.vue';
import { t } from '@/locale';
import { formatDateTime, formatDuration } from './date';
import { counterEntries } from './executions';
import { parametersText } from './json';
import { formatMoney } from './money';

/** what a column may say besides its title and width */
export type ColumnOptions = Omit<TableColumnData, 'title' | 'width'>;

/** A column drawn by the page's cell slot `slotName`. */
export function slotColumn(
  title: string,
  slotName: string,
  width?: number,
  options: ColumnOptions = {},
): TableColumnData {
  return { title: t(title), slotName, ...(width ? { width } : {}), ...options };
}

/** A field shown as it is. */
export function fieldColumn(
  title: string,
  dataIndex: string,
  width?: number,
  options: ColumnOptions = {},
): TableColumnData {
  return { title: t(title), dataIndex, ...(width ? { width } : {}), ...options };
}

/** Long text (a name, a remark, a reason): one line, cut, the whole of it in a tooltip. */
export function textColumn(
  title: string,
  field: string,
  width?: number,
  options: ColumnOptions = {},
): TableColumnData {
  return fieldColumn(title, field, width, { ellipsis: true, tooltip: true, ...options });
}

/** A number drawn by the page's cell slot, right-aligned. */
export function numberColumn(title: string, slotName: string, width: number, options: ColumnOptions = {}) {
  return slotColumn(title, slotName, width, { align: 'right', ...options });
}

/** what a cell shows of its row: a field's name, or a function of the row */
export type CellValue<V> = string | ((record: TableData) => V);

function valueOf<V>(record: TableData, value: CellValue<V>): V {
  return typeof value === 'function' ? value(record) : record[value];
}

/** An amount, right-aligned, with separators and digits of one width ('-' when there is none). */
export function moneyColumn(
  title: string,
  slotName: string,
  value: CellValue<string | null | undefined>,
  width = 140,
  options: ColumnOptions = {},
): TableColumnData {
  return numberColumn(title, slotName, width, {
    render: ({ record }) => h('span', { class: 'money' }, formatMoney(valueOf(record, value))),
    ...options,
  });
}

/** An instant (the row's `field`) in the browser's time zone. */
export function timeColumn(
  title: string,
  slotName: string,
  field: string,
  width = 170,
  options: ColumnOptions = {},
): TableColumnData {
  return slotColumn(title, slotName, width, {
    render: ({ record }) => formatDateTime(record[field]),
    ...options,
  });
}

/** The row's id. */
export function idColumn(width = 80, options: ColumnOptions = {}): TableColumnData {
  return { title: 'ID', dataIndex: 'id', width, ...options };
}

/**
 * The customer of a row (`customer_id`, `customer_code`, `company_name`): its code as a link to
 * the customer's page, its name below; a row without one shows `unassigned` as an orange tag.
 */
export function customerColumn(
  title: string,
  width = 220,
  { unassigned, ...options }: ColumnOptions & { unassigned?: string } = {},
): TableColumnData {
  return slotColumn(title, 'customer', width, {
    render: ({ record }) => {
      if (!record.customer_id && unassigned)
        return h(Tag, { color: 'orange', size: 'small' }, () => unassigned);
      const to = { name: 'customer-detail', params: { id: record.customer_id } };
      return [
        h(RouterLink, { to, class: 'link' }, () => record.customer_code),
        h('div', { class: 'sub' }, record.company_name),
      ];
    },
    ...options,
  });
}

/** The row's buttons and links (slot `actions`), on the right. */
export function actionsColumn(width: number, options: ColumnOptions = {}): TableColumnData {
  return { title: t('common.actions'), slotName: 'actions', width, fixed: 'right', ...options };
}

/** A row's status (`status`) as the coloured tag of its `kind`; test id `<testid>-<row id>`. */
export function statusColumn(
  title: string,
  kind: 'invoice' | 'payment' | 'execution',
  testid: string,
  width: number,
): TableColumnData {
  return slotColumn(title, 'status', width, {
    render: ({ record }) =>
      h(StatusTag, { kind, status: record.status, small: true, testid: `${testid}-${record.id}` }),
  });
}

/** A cell linking to the row's own page (the route `name` with the row's id), with its test id and text. */
export function recordLink(
  name: string,
  testid: (record: TableData) => string,
  text: (record: TableData) => string,
): TableColumnData['render'] {
  return ({ record }) => {
    const to = { name, params: { id: record.id } };
    return h(RouterLink, { to, class: 'link', 'data-testid': testid(record) }, () => text(record));
  };
}

/**
 * A JSON object (a job's parameters, a channel's settings) on one line, cut, the whole in a tooltip;
 * `label` names its keys in the UI's language.
 */
export function parametersColumn(
  title: string,
  width: number,
  slotName = 'parameters',
  field = slotName,
  label?: (name: string) => string,
) {
  return slotColumn(title, slotName, width, {
    ellipsis: true,
    tooltip: true,
    render: ({ record }) => parametersText(record[field], label),
  });
}

// --- task executions (usage pulls, invoice runs, any job) ---------------------------------------------------
/** An execution's counters as small labelled chips ('-' when it has none). */
export function countersColumn(width: number, title = 'usage.pull.counters'): TableColumnData {
  return slotColumn(title, 'counters', width, {
    render: ({ record }: { record: TableData }) => {
      const entries = counterEntries(record.counters);
      if (!entries.length) return h('span', { class: 'hint' }, '-');
      return entries.map(([name, label, value]) =>
        h('span', { key: name, class: 'counter' }, `${label} ${value}`),
      );
    },
  });
}

/** How an execution was started (schedule, manual, CLI, retry). */
export function triggerColumn(width = 100): TableColumnData {
  return slotColumn('usage.pull.trigger', 'trigger', width, {
    render: ({ record }) => (record.trigger ? t(`usage.pull.triggerName.${record.trigger}`) : '-'),
  });
}

/** Who started an execution, when, and how long it ran. */
export function startedColumns(byOptions: ColumnOptions = {}): TableColumnData[] {
  return [
    fieldColumn('usage.pull.by', 'triggered_by', 120, byOptions),
    timeColumn('usage.pull.createdAt', 'createdAt', 'created_at'),
    slotColumn('usage.pull.duration', 'duration', 100, {
      render: ({ record }) => formatDuration(record.duration_ms),
    }),
  ];
}

/** How the lists of one job's executions end: counters, trigger, who, when, how long, a link. */
export function executionTailColumns(countersTitle?: string): TableColumnData[] {
  return [countersColumn(300, countersTitle), triggerColumn(), ...startedColumns(), actionsColumn(90)];
}
