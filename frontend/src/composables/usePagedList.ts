import { reactive, ref, type Ref } from 'vue';
import type { Page } from '@/api/types';
import { toApiError } from '@/api/errors';
import { useLoading } from './useLoading';

/** The paging parameters of every list endpoint. */
export interface Paging {
  page: number;
  page_size: number;
}

export interface PagedListOptions<T> {
  /** rows per page at first (default 20) */
  pageSize?: number;
  /** Called with each page that is put on screen (not with a stale or failed one). */
  onLoaded?: (page: Pick<Page<T>, 'items' | 'total'>) => void;
}

/**
 * The state of a server-paged table: `rows`, `loading`, `error` (the message of the last failed
 * load, '' when none) and `pagination` (bind `current`, `pageSize`, `total` to the table), with
 * the table's handlers. `fetchPage` reads the page's own filters and sorting; `search()` goes back
 * to page 1 (after the filters changed). Only the latest load updates the state, so a slow
 * response cannot overwrite a newer one; a failed load empties the rows and the total.
 */
export function usePagedList<T>(
  fetchPage: (paging: Paging) => Promise<Pick<Page<T>, 'items' | 'total' | 'total_is_estimate'>>,
  options: PagedListOptions<T> = {},
) {
  const rows = ref([]) as Ref<T[]>;
  const { loading, setLoading } = useLoading(false);
  const error = ref('');
  // totalIsEstimate: the total is a count of a few seconds ago (the API's total_is_estimate)
  const pagination = reactive<{
    current: number;
    pageSize: number;
    total: number;
    totalIsEstimate?: boolean;
  }>({
    current: 1,
    pageSize: options.pageSize ?? 20,
    total: 0,
    totalIsEstimate: false,
  });
  let latest = 0;

  async function fetchCurrent(quiet: boolean): Promise<void> {
    const id = ++latest;
    if (!quiet) setLoading(true);
    error.value = '';
    let page: Pick<Page<T>, 'items' | 'total' | 'total_is_estimate'>;
    try {
      page = await fetchPage({ page: pagination.current, page_size: pagination.pageSize });
      if (id !== latest) return;
      rows.value = page.items;
      pagination.total = page.total;
      pagination.totalIsEstimate = page.total_is_estimate ?? false;
    } catch (caught) {
      if (id !== latest) return;
      rows.value = [];
      pagination.total = 0;
      pagination.totalIsEstimate = false;
      error.value = toApiError(caught).message;
      return;
    } finally {
      if (id === latest) setLoading(false);
    }
    options.onLoaded?.(page);
  }

  /** Loads the current page. */
  function load(): Promise<void> {
    return fetchCurrent(false);
  }

  /** Loads the current page again without turning `loading` on (a refresh in the background). */
  function refresh(): Promise<void> {
    return fetchCurrent(true);
  }

  /** Back to page 1 and load (after the filters or the sorting changed). */
  function search(): void {
    pagination.current = 1;
    void load();
  }

  function onPageChange(page: number): void {
    pagination.current = page;
    void load();
  }

  function onPageSizeChange(size: number): void {
    pagination.pageSize = size;
    pagination.current = 1;
    void load();
  }

  return { rows, loading, error, pagination, load, refresh, search, onPageChange, onPageSizeChange };
}

/** A list the endpoint answers whole (no paging): the same state, every row on one page (`whole`: no pager). */
export function useWholeList<T>(fetchAll: () => Promise<{ items: T[] }>, options: PagedListOptions<T> = {}) {
  const list = usePagedList<T>(async () => {
    const { items } = await fetchAll();
    return { items, total: items.length };
  }, options);
  return { ...list, whole: true };
}
