/**
 * Pricing: mode labels (DESIGN §5: 单层定价 / 多层阶梯(分段累进) / 多层阶梯(总量定档) / 按包计费),
 * a one-line summary of a version's terms, and the columns of the pricing tables.
 */
import type { TableColumnData } from '@arco-design/web-vue';
import { type PricingMode, type VersionPublic, PRICING_MODES, TIERED_MODES } from '@/api/pricing';
import { t } from '@/locale';
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
    { title: t('pricing.field.code'), dataIndex: 'code', slotName: 'code', width: 150, fixed: 'left' },
    { title: t('pricing.field.name'), dataIndex: 'name', width: 180, ellipsis: true, tooltip: true },
    { title: t('pricing.field.metric'), dataIndex: 'metric', slotName: 'metric', width: 170 },
    { title: t('pricing.field.mode'), slotName: 'mode', width: 170 },
    { title: t('pricing.field.terms'), slotName: 'terms', width: 170 },
    { title: t('pricing.field.currentVersion'), slotName: 'version', width: 130 },
    { title: t('pricing.field.effectiveFrom'), slotName: 'effectiveFrom', width: 130 },
    { title: t('common.actions'), slotName: 'actions', width: 250, fixed: 'right' },
  ];
}

/** Columns of the metric list. */
export function metricColumns(): TableColumnData[] {
  return [
    { title: t('pricing.metric.code'), dataIndex: 'code', width: 160 },
    { title: t('pricing.metric.name'), dataIndex: 'name', width: 180 },
    { title: t('pricing.metric.unit'), dataIndex: 'unit', width: 100 },
    { title: t('pricing.metric.status'), slotName: 'status', width: 110 },
    { title: t('pricing.metric.updatedAt'), slotName: 'updatedAt', width: 180 },
    { title: t('common.actions'), slotName: 'actions', width: 160 },
  ];
}

/** Columns of the version list. */
export function versionColumns(): TableColumnData[] {
  return [
    { title: t('pricing.version.number'), slotName: 'number', width: 110 },
    { title: t('pricing.field.effectiveFrom'), dataIndex: 'effective_from', width: 120 },
    { title: t('pricing.field.mode'), slotName: 'mode', width: 160 },
    { title: t('pricing.field.terms'), slotName: 'terms' },
    { title: t('pricing.version.fees'), slotName: 'fees', width: 200 },
    { title: t('pricing.version.billed'), slotName: 'billed', width: 120 },
    { title: t('common.actions'), slotName: 'actions', width: 110 },
  ];
}

/** The metric code pattern of the backend. */
export const METRIC_CODE = /^[a-z][a-z0-9_]{0,31}$/;
/** The plan code pattern of the backend. */
export const PLAN_CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
