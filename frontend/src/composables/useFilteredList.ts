import { computed, reactive, shallowRef } from 'vue';
import type { Page } from '@/api/types';
import type { FilterDescriptor } from '@/types/filter';
import { usePagedList, type PagedListOptions, type Paging } from './usePagedList';

export interface FilteredListOptions<M extends object, P, T> extends PagedListOptions<T> {
  /** the filter form's blank model: Reset goes back to it */
  blank: () => M;
  /** the model at first (e.g. the customer a link names); default `blank()` */
  initial?: M;
  /** the model as the list endpoint's parameters */
  params: (model: M) => P;
  /** one page of rows for the applied parameters */
  fetch: (params: P, paging: Paging) => Promise<Pick<Page<T>, 'items' | 'total'>>;
  /** the filters as described for `list-page` (recomputed, so they follow the locale and the model) */
  fields?: (model: M) => FilterDescriptor[];
  /** false while the form cannot be searched (a filter shows its problem): Search does nothing */
  ready?: () => boolean;
}

/**
 * A server-paged list behind a filter form: `usePagedList` plus the form's model (`filters`),
 * the parameters of the rows on screen (`applied`, what an export sends), `search()` (applies
 * the form, back to page 1) and `reset()` (the blank form, searched). `list-page` draws the form
 * from `filters` and `fields` and wires Search and Reset to them.
 */
export function useFilteredList<M extends object, P, T>(options: FilteredListOptions<M, P, T>) {
  const filters = reactive(options.initial ?? options.blank()) as M;
  const applied = shallowRef<P>(options.params(filters));
  const paged = usePagedList<T>((paging) => options.fetch(applied.value, paging), options);
  const fields = computed(() => options.fields?.(filters) ?? []);

  function search(): void {
    if (options.ready && !options.ready()) return;
    applied.value = options.params(filters);
    paged.search();
  }

  function reset(): void {
    Object.assign(filters, options.blank());
    search();
  }

  return { ...paged, filters, applied, fields, search, reset };
}
