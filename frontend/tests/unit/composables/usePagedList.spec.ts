import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '@/api/errors';
import { usePagedList, type Paging } from '@/composables/usePagedList';

interface Row {
  id: number;
}

/** A fetchPage whose calls stay pending until the test settles them, in any order. */
function controlledFetch() {
  const calls: {
    paging: Paging;
    resolve: (page: { items: Row[]; total: number }) => void;
    reject: (error: unknown) => void;
  }[] = [];
  const fetchPage = vi.fn(
    (paging: Paging) =>
      new Promise<{ items: Row[]; total: number }>((resolve, reject) => {
        calls.push({ paging, resolve, reject });
      }),
  );
  return { fetchPage, calls };
}

function rows(...ids: number[]): Row[] {
  return ids.map((id) => ({ id }));
}

describe('usePagedList', () => {
  it('loads the current page and keeps only the latest response', async () => {
    const { fetchPage, calls } = controlledFetch();
    const onLoaded = vi.fn();
    const list = usePagedList(fetchPage, { onLoaded });

    const first = list.load();
    expect(list.loading.value).toBe(true);
    list.onPageChange(2);
    expect(calls.map((c) => c.paging)).toEqual([
      { page: 1, page_size: 20 },
      { page: 2, page_size: 20 },
    ]);

    // page 2 answers first, then the slower page 1: the stale page 1 must not overwrite it
    calls[1].resolve({ items: rows(21, 22), total: 42 });
    await vi.waitFor(() => expect(list.rows.value).toEqual(rows(21, 22)));
    expect(list.loading.value).toBe(false);
    calls[0].resolve({ items: rows(1, 2), total: 40 });
    await first;
    expect(list.rows.value).toEqual(rows(21, 22));
    expect(list.pagination).toEqual({ current: 2, pageSize: 20, total: 42, totalIsEstimate: false });
    expect(list.loading.value).toBe(false);
    expect(onLoaded).toHaveBeenCalledTimes(1);
    expect(onLoaded).toHaveBeenCalledWith({ items: rows(21, 22), total: 42 });
  });

  it('ignores a stale failure and keeps loading on while the latest call is under way', async () => {
    const { fetchPage, calls } = controlledFetch();
    const list = usePagedList(fetchPage);
    const first = list.load();
    const second = list.load();
    calls[0].reject(new ApiError({ status: 500, code: 'http_500', message: 'boom' }));
    await first;
    expect(list.error.value).toBe('');
    expect(list.loading.value).toBe(true);
    calls[1].resolve({ items: rows(1), total: 1 });
    await second;
    expect(list.rows.value).toEqual(rows(1));
    expect(list.loading.value).toBe(false);
  });

  it('on an error empties the rows and the total and shows the API message; the next load clears it', async () => {
    const { fetchPage, calls } = controlledFetch();
    const onLoaded = vi.fn();
    const list = usePagedList(fetchPage, { onLoaded });
    const ok = list.load();
    calls[0].resolve({ items: rows(1, 2), total: 2 });
    await ok;

    const failing = list.load();
    calls[1].reject(new ApiError({ status: 503, code: 'http_503', message: '服务暂不可用' }));
    await failing;
    expect(list.rows.value).toEqual([]);
    expect(list.pagination.total).toBe(0);
    expect(list.error.value).toBe('服务暂不可用');
    expect(list.loading.value).toBe(false);
    expect(onLoaded).toHaveBeenCalledTimes(1);

    const again = list.load();
    expect(list.error.value).toBe('');
    calls[2].resolve({ items: rows(3), total: 1 });
    await again;
    expect(list.rows.value).toEqual(rows(3));
  });

  it('turns anything thrown into a message', async () => {
    const list = usePagedList<Row>(() => Promise.reject(new Error('socket hang up')));
    await list.load();
    expect(list.error.value).not.toBe('');
    expect(list.error.value).toBe('socket hang up');
    expect(list.rows.value).toEqual([]);
    expect(list.loading.value).toBe(false);
  });

  it('search() goes back to page 1', async () => {
    const { fetchPage, calls } = controlledFetch();
    const list = usePagedList(fetchPage);
    list.onPageChange(3);
    calls[0].resolve({ items: rows(41), total: 41 });
    await vi.waitFor(() => expect(list.pagination.total).toBe(41));
    expect(list.pagination.current).toBe(3);

    list.search();
    expect(list.pagination.current).toBe(1);
    expect(calls[1].paging).toEqual({ page: 1, page_size: 20 });
  });

  it('a page size change goes back to page 1 with the new size', () => {
    const { fetchPage, calls } = controlledFetch();
    const list = usePagedList(fetchPage, { pageSize: 10 });
    list.onPageChange(4);
    expect(calls[0].paging).toEqual({ page: 4, page_size: 10 });

    list.onPageSizeChange(50);
    expect(list.pagination.current).toBe(1);
    expect(list.pagination.pageSize).toBe(50);
    expect(calls[1].paging).toEqual({ page: 1, page_size: 50 });
  });

  it('refresh() reloads the page without turning loading on', async () => {
    const { fetchPage, calls } = controlledFetch();
    const list = usePagedList(fetchPage);
    const refreshing = list.refresh();
    expect(list.loading.value).toBe(false);
    calls[0].resolve({ items: rows(1), total: 1 });
    await refreshing;
    expect(list.rows.value).toEqual(rows(1));
    expect(list.loading.value).toBe(false);
  });
});
