/**
 * The usage metrics for pickers and labels (api_calls → "API 调用 (次)"), loaded once per page
 * load and shared by the pricing, subscription and usage pages; `reload` after a change.
 */
import { computed, ref } from 'vue';
import { listMetrics, type UsageMetricPublic } from '@/api/pricing';
import { t } from '@/locale';
import type { Option } from '@/types/option';

/** "api_calls — API 调用 (次)" style option labels; retired metrics are marked. */
export function metricOptions(metrics: readonly UsageMetricPublic[], { activeOnly = false } = {}): Option[] {
  return metrics
    .filter((m) => !activeOnly || m.is_active)
    .map((m) => ({
      value: m.code,
      label: `${m.name} (${m.code})${m.is_active ? '' : ` · ${t('pricing.metric.retired')}`}`,
    }));
}

const metrics = ref<UsageMetricPublic[]>([]);
let load: Promise<void> | null = null;

function fetchMetrics(): Promise<void> {
  load ??= listMetrics({ page_size: 200, sort: 'code' })
    .then((page) => {
      metrics.value = page.items;
    })
    .catch(() => {
      load = null; // try again next time
    });
  return load;
}

export function useMetrics() {
  void fetchMetrics();
  const byCode = computed(() => new Map(metrics.value.map((m) => [m.code, m])));
  /** every metric for filters (retired ones marked), the active ones for new plans */
  const options = computed(() => metricOptions(metrics.value));
  const activeOptions = computed(() => metricOptions(metrics.value, { activeOnly: true }));
  function reload(): Promise<void> {
    load = null;
    return fetchMetrics();
  }
  /** "API 调用 (api_calls)", or the code when unknown. */
  function metricName(code: string | null | undefined): string {
    if (!code) return '-';
    const metric = byCode.value.get(code);
    return metric ? `${metric.name} (${metric.code})` : code;
  }
  function metricUnit(code: string | null | undefined): string {
    return (code && byCode.value.get(code)?.unit) || '';
  }
  return { metrics, byCode, options, activeOptions, reload, metricName, metricUnit };
}
