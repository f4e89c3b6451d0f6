/**
 * The aging report as the page shows it: its filters as API parameters, the table's sort, the
 * bucket summary above the table (five buckets and the total, over every customer of the
 * filters), the per-customer columns with their total row, and the drill-down's columns.
 * Amounts stay strings, shown as the API rounded them.
 */
import { h } from 'vue';
import { RouterLink } from 'vue-router';
import type { TableColumnData, TableData } from '@arco-design/web-vue';
import { t } from '@/locale';
import {
  AGING_BUCKETS,
  AGING_SORTS,
  type AgingAmountField,
  type AgingBucket,
  type AgingFilters,
  type AgingReportPage,
  type OwnerScope,
} from '@/types/analytics';
import { bucketLabel } from '@/utils/analytics';
import {
  actionsColumn,
  fieldColumn,
  moneyColumn,
  numberColumn,
  recordLink,
  slotColumn,
} from '@/utils/columns';
import { formatMoney } from '@/utils/money';

// --- filters and sort ---------------------------------------------------------------------------------
export interface AgingFilterModel {
  as_of: string;
  owner: OwnerScope;
  customer_id: number | null;
}

export function emptyAgingFilters(
  today: string,
  owner: OwnerScope,
  customerId: number | null = null,
): AgingFilterModel {
  return { as_of: today, owner, customer_id: customerId };
}

/** The filter form as the report's parameters (a cleared day: the backend's today). */
export function agingFilterParams(model: AgingFilterModel): AgingFilters {
  return { as_of: model.as_of || null, owner: model.owner, customer_id: model.customer_id || null };
}

export const DEFAULT_AGING_SORT = '-total';

/** Arco's sorter event → the report's `sort`; no direction: the default, largest total first. */
export function agingSort(dataIndex: string, direction: string | null | undefined): string {
  if (!(AGING_SORTS as readonly string[]).includes(dataIndex)) return DEFAULT_AGING_SORT;
  if (direction === 'ascend') return dataIndex;
  if (direction === 'descend') return `-${dataIndex}`;
  return DEFAULT_AGING_SORT;
}

// --- bucket summary --------------------------------------------------------------------------------------
/** The amount field of each bucket in the report's rows and totals. */
export const BUCKET_FIELDS: Record<AgingBucket, Exclude<AgingAmountField, 'total'>> = {
  current: 'current',
  '1-30': 'd1_30',
  '31-60': 'd31_60',
  '61-90': 'd61_90',
  '90+': 'd90_plus',
};

export interface BucketSummary {
  key: AgingBucket | 'total';
  label: string;
  outstanding: string;
  /** "4 张发票" or, for the total, "57 个客户" */
  detail: string;
}

/** The five buckets in order (a bucket the answer lacks as 0), then the total. */
export function bucketSummary(report: Pick<AgingReportPage, 'buckets' | 'totals'>): BucketSummary[] {
  const buckets = AGING_BUCKETS.map((bucket) => {
    const found = report.buckets.find((b) => b.bucket === bucket);
    return {
      key: bucket,
      label: bucketLabel(bucket),
      outstanding: formatMoney(found?.outstanding ?? report.totals[BUCKET_FIELDS[bucket]] ?? '0.00'),
      detail: t('aging.invoices', { count: found?.invoices ?? 0 }),
    };
  });
  return [
    ...buckets,
    {
      key: 'total',
      label: t('aging.total'),
      outstanding: formatMoney(report.totals.total),
      detail: t('aging.customers', { count: report.totals.customers }),
    },
  ];
}

/** The table's total row (over every customer of the filters, not only this page). */
export function agingTotalRow(report: Pick<AgingReportPage, 'totals'> | null): TableData[] {
  return report ? [{ ...report.totals, customer_id: 0, summary: true }] : [];
}

// --- columns ------------------------------------------------------------------------------------------
const SORT = { sortDirections: ['ascend', 'descend'] as ('ascend' | 'descend')[], sorter: true };

function amountColumn(field: AgingAmountField, width = 125): TableColumnData {
  return {
    ...moneyColumn(`aging.column.${field}`, field, field, width),
    dataIndex: field,
    sortable: SORT,
  };
}

/** The customer's code (a link to its page) and name; "合计" on the total row. */
function customerCell({ record }: { record: TableData }) {
  if (record.summary) return h('strong', t('aging.total'));
  const to = { name: 'customer-detail', params: { id: record.customer_id } };
  return [
    h(RouterLink, { to, class: 'link', 'data-testid': `aging-customer-${record.customer_code}` }, () =>
      String(record.customer_code),
    ),
    h('div', { class: 'sub' }, String(record.company_name ?? '')),
  ];
}

/** Columns of the per-customer table (sortable by the server); the row's actions in the slot `actions`. */
export function agingColumns(): TableColumnData[] {
  return [
    slotColumn('analytics.customer', 'customer', 220, {
      dataIndex: 'customer_code',
      fixed: 'left',
      sortable: SORT,
      render: customerCell,
    }),
    amountColumn('current'),
    amountColumn('d1_30'),
    amountColumn('d31_60'),
    amountColumn('d61_90'),
    amountColumn('d90_plus'),
    amountColumn('total', 145),
    actionsColumn(100),
  ];
}

/** Columns of a customer's open invoices (the drill-down). */
export function agingInvoiceColumns(): TableColumnData[] {
  return [
    slotColumn('invoice.field.number', 'number', 190, {
      render: recordLink(
        'invoice-detail',
        (invoice) => `aging-invoice-${invoice.number}`,
        (invoice) => invoice.number,
      ),
    }),
    fieldColumn('invoice.field.period', 'period', 90),
    fieldColumn('invoice.field.dueDate', 'due_date', 110),
    moneyColumn('invoice.field.total', 'total', 'total', 130),
    moneyColumn('invoice.field.outstanding', 'outstanding', 'outstanding', 130),
    numberColumn('aging.daysPastDue', 'days', 100, { render: ({ record }) => String(record.days_past_due) }),
    slotColumn('dashboard.aging.bucket', 'bucket', 130),
    slotColumn('invoice.field.status', 'status', 110),
  ];
}
