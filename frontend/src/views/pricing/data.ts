/**
 * Pricing: mode labels (DESIGN §5: 单层定价 / 多层阶梯(分段累进) / 多层阶梯(总量定档) / 按包计费),
 * a one-line summary of a version's terms, and the columns of the pricing tables.
 */
import type { TableColumnData } from '@arco-design/web-vue';
import { type PricingMode, type VersionPublic, PRICING_MODES, TIERED_MODES } from '@/api/pricing';
import { t } from '@/locale';
import { actionsColumn, fieldColumn, slotColumn, textColumn } from '@/utils/columns';
import { formatPrice, formatQuantity } from '@/utils/decimal';

export type { Option } from '@/types/option';
import type { Option } from '@/types/option';

export const MODE_COLORS: Record<PricingMode, string> = {
  per_unit: 'arcoblue',
  graduated: 'purple',
  volume: 'orangered',
  package: 'cyan',
};

export function modeLabel(mode: PricingMode | string | null | undefined): string {
  return mode ? t(`pricing.mode.${mode}`) : '-';
}

export function modeOptions(): Option<PricingMode>[] {
  return PRICING_MODES.map((value) => ({ value, label: modeLabel(value) }));
}

export function isTiered(mode: PricingMode | string | null | undefined): boolean {
  return TIERED_MODES.includes(mode as PricingMode);
}

/** The prices of a version in one line, e.g. "0.01 /次", "3 档：0.01 起", "每 1,000 次 5.00". */
export function termsSummary(
  version: Pick<VersionPublic, 'mode' | 'unit_price' | 'tiers' | 'package_size' | 'package_price'> | null,
  unit = '',
): string {
  if (!version) return '-';
  const per = unit ? ` /${unit}` : '';
  switch (version.mode) {
    case 'per_unit':
      return `${formatPrice(version.unit_price)}${per}`;
    case 'graduated':
    case 'volume':
      return t('pricing.summary.tiers', {
        count: version.tiers.length,
        price: formatPrice(version.tiers[0]?.unit_price),
      });
    case 'package':
      return t('pricing.summary.package', {
        size: formatQuantity(version.package_size),
        unit,
        price: formatPrice(version.package_price),
      });
    default:
      return '-';
  }
}

/** Columns of the plan list. */
export function planColumns(): TableColumnData[] {
  return [
    slotColumn('pricing.field.code', 'code', 150, { dataIndex: 'code', fixed: 'left' }),
    textColumn('pricing.field.name', 'name', 180),
    slotColumn('pricing.field.metric', 'metric', 170, { dataIndex: 'metric' }),
    slotColumn('pricing.field.mode', 'mode', 170),
    slotColumn('pricing.field.terms', 'terms', 170),
    slotColumn('pricing.field.currentVersion', 'version', 130),
    slotColumn('pricing.field.effectiveFrom', 'effectiveFrom', 130),
    actionsColumn(250),
  ];
}

/** Columns of the metric list. */
export function metricColumns(): TableColumnData[] {
  return [
    fieldColumn('pricing.metric.code', 'code', 160),
    fieldColumn('pricing.metric.name', 'name', 180),
    fieldColumn('pricing.metric.unit', 'unit', 100),
    slotColumn('pricing.metric.status', 'status', 110),
    slotColumn('pricing.metric.updatedAt', 'updatedAt', 180),
    slotColumn('common.actions', 'actions', 160),
  ];
}

/** Columns of the version list. */
export function versionColumns(): TableColumnData[] {
  return [
    slotColumn('pricing.version.number', 'number', 110),
    fieldColumn('pricing.field.effectiveFrom', 'effective_from', 120),
    slotColumn('pricing.field.mode', 'mode', 160),
    slotColumn('pricing.field.terms', 'terms'),
    slotColumn('pricing.version.fees', 'fees', 200),
    slotColumn('pricing.version.billed', 'billed', 120),
    slotColumn('common.actions', 'actions', 110),
  ];
}

/** The metric code pattern of the backend. */
export const METRIC_CODE = /^[a-z][a-z0-9_]{0,31}$/;
/** The plan code pattern of the backend. */
export const PLAN_CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
