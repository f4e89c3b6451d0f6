/**
 * Customers: option lists, the status machine as the UI knows it, and table columns.
 * Labels are i18n keys (Chinese by default: 潜在/试用/正常/暂停/注销).
 */
import { h } from 'vue';
import type { LocationQuery } from 'vue-router';
import { Tag, type TableColumnData } from '@arco-design/web-vue';
import {
  type CustomerPublic,
  type CustomerStatus,
  type DictionaryKind,
  CUSTOMER_STATUSES,
} from '@/api/customers';
import { defaultIndustries, defaultLevels } from '@/composables/useCustomerOptions';
import { t } from '@/locale';
import {
  actionsColumn,
  fieldColumn,
  moneyColumn,
  numberColumn,
  slotColumn,
  textColumn,
  timeColumn,
} from '@/utils/columns';
import { customerStatusLabel } from '@/utils/status';
import {
  CHURN_LEVELS,
  LIFECYCLES,
  VALUE_TIERS,
  type ChurnLevel,
  type Lifecycle,
  type ValueTier,
} from '@/types/analytics';
import {
  CHURN_LEVEL_COLORS,
  TIER_COLORS,
  churnLevelLabel,
  lifecycleLabel,
  tierLabel,
} from '@/utils/analytics';

export type { Option } from '@/types/option';
import type { Option } from '@/types/option';

// --- status ------------------------------------------------------------------------------------
/** Arco tag colours per status. */
export const STATUS_COLORS: Record<CustomerStatus, string> = {
  prospect: 'gray',
  trial: 'arcoblue',
  active: 'green',
  suspended: 'orange',
  closed: 'red',
};

export function statusOptions(): Option<CustomerStatus>[] {
  return CUSTOMER_STATUSES.map((value) => ({ value, label: customerStatusLabel(value) }));
}

/**
 * The account status machine (DESIGN §3, backend `customers/status.py`):
 * prospect → trial → active ⇄ suspended; any state except closed → closed.
 */
export const STATUS_TRANSITIONS: Readonly<Record<CustomerStatus, readonly CustomerStatus[]>> = {
  prospect: ['trial', 'closed'],
  trial: ['active', 'closed'],
  active: ['suspended', 'closed'],
  suspended: ['active', 'closed'],
  closed: [],
};

/** The statuses a customer in `current` may move to (empty for closed or unknown). */
export function legalTargets(current: CustomerStatus | string | null | undefined): CustomerStatus[] {
  if (!current || !(current in STATUS_TRANSITIONS)) return [];
  return [...STATUS_TRANSITIONS[current as CustomerStatus]];
}

export function canMove(current: CustomerStatus | string, target: CustomerStatus | string): boolean {
  return legalTargets(current).includes(target as CustomerStatus);
}

/** Targets legal for every one of `statuses` (for a batch change of status). */
export function commonTargets(statuses: readonly (CustomerStatus | string)[]): CustomerStatus[] {
  if (statuses.length === 0) return [];
  return CUSTOMER_STATUSES.filter((target) => statuses.every((s) => canMove(s, target)));
}

// --- dictionaries --------------------------------------------------------------------------------
/** The seeded list of a dictionary (`useCustomerOptions` shows it until the backend answers). */
export function defaultOptions(kind: DictionaryKind): Option[] {
  return kind === 'level' ? defaultLevels() : defaultIndustries();
}

/** The label of a dictionary code (the code itself when unknown, '-' when empty). */
export function optionLabel(options: readonly Option[], value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  return options.find((o) => o.value === value)?.label ?? value;
}

// --- fields ----------------------------------------------------------------------------------------
/** The 18 profile fields of DESIGN §3 plus the remark, in the order finance keeps them. */
export const CUSTOMER_FIELDS = [
  'customer_code',
  'company_name',
  'short_name',
  'credit_code',
  'industry',
  'level',
  'status',
  'owner_id',
  'contact_name',
  'contact_phone',
  'contact_email',
  'province',
  'city',
  'address',
  'signed_at',
  'contract_end_at',
  'payment_terms_days',
  'credit_limit',
  'remark',
] as const;
export type CustomerField = (typeof CUSTOMER_FIELDS)[number];

export function fieldLabel(field: string): string {
  return t(`customer.field.${field === 'owner_name' ? 'owner_id' : field}`);
}

export function ownerText(
  customer: Pick<CustomerPublic, 'owner_id' | 'owner_name'>,
  names?: ReadonlyMap<number, string>,
): string {
  if (customer.owner_id === null || customer.owner_id === undefined) return '-';
  return customer.owner_name || names?.get(customer.owner_id) || `#${customer.owner_id}`;
}

// --- table columns -----------------------------------------------------------------------------------
const SORT = { sortDirections: ['ascend', 'descend'] as ('ascend' | 'descend')[], sorter: true };

/** A column the list can be sorted by (the API sorts by its data field). */
function sorted(column: TableColumnData, dataIndex = column.dataIndex): TableColumnData {
  return { ...column, dataIndex, sortable: SORT };
}

/** Columns of the customer list (titles follow the current language). */
export function customerColumns(): TableColumnData[] {
  return [
    sorted(slotColumn('customer.field.customer_code', 'code', 150, { fixed: 'left' }), 'customer_code'),
    sorted(textColumn('customer.field.company_name', 'company_name', 220)),
    sorted(slotColumn('customer.field.status', 'status', 110), 'status'),
    sorted(slotColumn('customer.field.level', 'level', 110), 'level'),
    sorted(slotColumn('customer.field.industry', 'industry', 120), 'industry'),
    ...scoreColumns(),
    slotColumn('customer.field.owner_id', 'owner', 110, { dataIndex: 'owner_id' }),
    textColumn('customer.field.contact_name', 'contact_name', 100),
    fieldColumn('customer.field.contact_phone', 'contact_phone', 130),
    sorted(slotColumn('customer.column.region', 'region', 140), 'province'),
    sorted(fieldColumn('customer.field.signed_at', 'signed_at', 130)),
    sorted(fieldColumn('customer.field.contract_end_at', 'contract_end_at', 140)),
    sorted(moneyColumn('customer.field.credit_limit', 'money', 'credit_limit', 150), 'credit_limit'),
    actionsColumn(130),
  ];
}

// --- scores (the nightly scoring's latest) -------------------------------------------------------------
/** '-' until the customer is scored. */
function scoreText(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : String(value);
}

/** Value tier, lifecycle, churn risk (its level as a coloured tag, sorted by its score) and credit score. */
export function scoreColumns(): TableColumnData[] {
  return [
    slotColumn('customer.field.value_tier', 'tier', 110, {
      dataIndex: 'value_tier',
      render: ({ record }) =>
        record.value_tier
          ? h(Tag, { color: TIER_COLORS[record.value_tier as ValueTier] ?? 'gray', size: 'small' }, () =>
              tierLabel(record.value_tier),
            )
          : '-',
    }),
    slotColumn('customer.field.lifecycle', 'lifecycle', 110, {
      dataIndex: 'lifecycle',
      render: ({ record }) => lifecycleLabel(record.lifecycle),
    }),
    sorted(
      slotColumn('customer.field.churn_level', 'churn', 130, {
        render: ({ record }) =>
          record.churn_level
            ? h(
                Tag,
                {
                  color: CHURN_LEVEL_COLORS[record.churn_level as ChurnLevel] ?? 'gray',
                  size: 'small',
                  'data-testid': `customer-churn-${record.customer_code}`,
                  'data-level': record.churn_level,
                },
                () => `${churnLevelLabel(record.churn_level)} · ${scoreText(record.churn_score)}`,
              )
            : '-',
      }),
      'churn_score',
    ),
    sorted(
      numberColumn('customer.field.credit_score', 'credit', 110, {
        render: ({ record }) => scoreText(record.credit_score),
      }),
      'credit_score',
    ),
  ];
}

/** The filters a link may give in the URL (`/customers?churn_level=high&owner_id=3`), unknown values left out. */
export interface ScoreFiltersFromQuery {
  churn_level?: ChurnLevel;
  value_tier?: ValueTier;
  lifecycle?: Lifecycle;
  owner_id?: number;
}

export function filtersFromQuery(query: LocationQuery): ScoreFiltersFromQuery {
  const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : '');
  const one = <V extends string>(name: string, values: readonly V[]) =>
    (values as readonly string[]).includes(text(name)) ? (text(name) as V) : undefined;
  const found: ScoreFiltersFromQuery = {
    churn_level: one('churn_level', CHURN_LEVELS),
    value_tier: one('value_tier', VALUE_TIERS),
    lifecycle: one('lifecycle', LIFECYCLES),
  };
  const owner = Number(text('owner_id'));
  if (text('owner_id') && Number.isInteger(owner) && owner >= 0) found.owner_id = owner;
  return Object.fromEntries(Object.entries(found).filter(([, v]) => v !== undefined));
}

/** What is wrong with a credit score range (0..100, min ≤ max), or null. */
export function creditScoreRangeProblem(
  min: number | null | undefined,
  max: number | null | undefined,
): 'range' | 'order' | null {
  for (const value of [min, max]) {
    if (value !== null && value !== undefined && (!Number.isInteger(value) || value < 0 || value > 100))
      return 'range';
  }
  if (min !== null && min !== undefined && max !== null && max !== undefined && min > max) return 'order';
  return null;
}

/** Columns of the deleted-customers table. */
export function deletedColumns(): TableColumnData[] {
  return [
    slotColumn('customer.field.customer_code', 'code', 140, { dataIndex: 'customer_code' }),
    textColumn('customer.field.company_name', 'company_name'),
    slotColumn('customer.field.status', 'status', 100, { dataIndex: 'status' }),
    timeColumn('customer.deleted.deletedAt', 'deletedAt', 'deleted_at', 180, { dataIndex: 'deleted_at' }),
    fieldColumn('customer.deleted.deletedBy', 'deleted_by', 140),
    actionsColumn(150),
  ];
}

/** Arco's sorter event → the API's `sort` (`field` / `-field` / none). */
export function sortParam(dataIndex: string, direction: string | undefined | null): string | null {
  if (direction === 'ascend') return dataIndex;
  if (direction === 'descend') return `-${dataIndex}`;
  return null;
}

// --- audit trail --------------------------------------------------------------------------------------
export interface AuditChange {
  field: string;
  before: unknown;
  after: unknown;
}

/** Bookkeeping fields the audit trail does not list as changes. */
const AUDIT_IGNORED = new Set([
  'id',
  'created_at',
  'updated_at',
  'created_by',
  'updated_by',
  'deleted_at',
  'deleted_by',
  'code_key',
  'name_key',
]);

/** The fields an audit entry changed (for a create: none, the whole profile is new). */
export function auditChanges(entry: {
  action: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}): AuditChange[] {
  if (entry.action === 'create' || !entry.after) return [];
  const before = entry.before ?? {};
  const after = entry.after;
  return Object.keys(after)
    .filter(
      (field) =>
        !AUDIT_IGNORED.has(field) &&
        JSON.stringify(before[field] ?? null) !== JSON.stringify(after[field] ?? null),
    )
    .sort((a, b) => fieldOrder(a) - fieldOrder(b))
    .map((field) => ({ field, before: before[field] ?? null, after: after[field] ?? null }));
}

function fieldOrder(field: string): number {
  const index = (CUSTOMER_FIELDS as readonly string[]).indexOf(field);
  return index < 0 ? CUSTOMER_FIELDS.length : index;
}

export function auditActionLabel(action: string): string {
  const key = `customer.audit.${action}`;
  const label = t(key);
  return label === key ? action : label;
}

/** A changed value for display: status and dictionary codes get their labels. */
export function auditValue(
  field: string,
  value: unknown,
  dictionaries: { levels: readonly Option[]; industries: readonly Option[] },
): string {
  if (value === null || value === undefined || value === '') return '∅';
  if (field === 'status') return customerStatusLabel(String(value));
  if (field === 'level') return optionLabel(dictionaries.levels, String(value));
  if (field === 'industry') return optionLabel(dictionaries.industries, String(value));
  if (typeof value === 'boolean') return t(value ? 'common.yes' : 'common.no');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
