/**
 * The data sources by id for labels and pickers (usage records, anomalies and pulls name their
 * source), loaded once per page load; `reload` after a change.
 */
import { computed, ref } from 'vue';
import { listDataSources, type DataSourcePublic } from '@/api/data-sources';

const sources = ref<DataSourcePublic[]>([]);
let load: Promise<void> | null = null;

function fetchSources(): Promise<void> {
  load ??= listDataSources({ page_size: 200, sort: 'name' })
    .then((page) => {
      sources.value = page.items;
    })
    .catch(() => {
      load = null;
    });
  return load;
}

/** For tests: forget what was loaded. */
export function resetSources(): void {
  sources.value = [];
  load = null;
}

export function useSources() {
  void fetchSources();
  const byId = computed(() => new Map(sources.value.map((s) => [s.id, s])));
  const sourceOptions = computed(() =>
    sources.value.map((s) => ({ value: s.id, label: `${s.name} (${s.adapter})` })),
  );
  const sourceNameOptions = computed(() =>
    sources.value
      .filter((s) => s.is_enabled)
      .map((s) => ({ value: s.name, label: `${s.name} (${s.adapter})` })),
  );
  function sourceName(id: number | null | undefined): string {
    if (id === null || id === undefined) return '-';
    return byId.value.get(id)?.name ?? `#${id}`;
  }
  function reload(): Promise<void> {
    load = null;
    return fetchSources();
  }
  return { sources, byId, sourceOptions, sourceNameOptions, sourceName, reload };
}
