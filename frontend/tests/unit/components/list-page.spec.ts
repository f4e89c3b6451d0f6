import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h, reactive } from 'vue';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import ArcoVue, { Table, type TableColumnData } from '@arco-design/web-vue';
import ArcoVueIcon from '@arco-design/web-vue/es/icon';
import FilterField from '@/components/filter-field.vue';
import ListPage from '@/components/list-page.vue';
import { useFilteredList } from '@/composables/useFilteredList';
import { usePagedList, type Paging } from '@/composables/usePagedList';
import { filter } from '@/utils/filters';
import { setLocale } from '@/locale';

interface Row {
  id: number;
  name: string;
  city: string;
}

const COLUMNS: TableColumnData[] = [
  { title: 'Name', dataIndex: 'name', slotName: 'name' },
  { title: 'City', dataIndex: 'city' },
];
const ROWS: Row[] = Array.from({ length: 45 }, (_, i) => ({
  id: i + 1,
  name: `row ${i + 1}`,
  city: `city ${i + 1}`,
}));

let wrapper: VueWrapper | undefined;

beforeEach(() => {
  localStorage.clear();
});

afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
  document.body.innerHTML = '';
});

function el(testid: string): HTMLElement | null {
  return document.body.querySelector(`[data-testid="${testid}"]`);
}

/** A page of ROWS (the fetch records what it was asked), the list page and its slots. */
async function mountPage(onReset?: () => void) {
  const fetch = vi.fn(async (paging: Paging) => {
    const start = (paging.page - 1) * paging.page_size;
    return { items: ROWS.slice(start, start + paging.page_size), total: ROWS.length };
  });
  const Page = defineComponent({
    setup() {
      const filters = reactive({ q: '' });
      const list = usePagedList(fetch);
      list.search();
      return () =>
        h(
          ListPage,
          {
            list,
            columns: COLUMNS,
            testid: 'thing',
            pageTestid: 'things-page',
            title: 'Things',
            filters,
            onSearch: list.search,
            onReset,
          },
          {
            filters: () =>
              h(FilterField, { field: 'q', label: 'Text' }, () =>
                h('input', { 'data-testid': 'thing-filter-q' }),
              ),
            toolbar: () => h('button', { 'data-testid': 'thing-create' }, 'New'),
            name: ({ record }: { record: Row }) =>
              h('span', { 'data-testid': `thing-row-${record.id}` }, record.name),
          },
        );
    },
  });
  wrapper = mount(Page, { global: { plugins: [ArcoVue, ArcoVueIcon] }, attachTo: document.body });
  await flushPromises();
  return fetch;
}

function headers(): string[] {
  return [...document.body.querySelectorAll('[data-testid="thing-table"] th')].map(
    (th) => th.textContent?.trim() ?? '',
  );
}

describe('list page', () => {
  it('renders the filters, the toolbar, the cell slots and the first page', async () => {
    const fetch = await mountPage(() => undefined);
    expect(el('things-page')?.textContent).toContain('Things');
    expect(el('thing-filter-q')).not.toBeNull();
    expect(el('thing-filter-search')).not.toBeNull();
    expect(el('thing-filter-reset')).not.toBeNull();
    expect(el('thing-create')).not.toBeNull();
    expect(el('thing-reload')).not.toBeNull();
    expect(el('thing-row-1')?.textContent).toBe('row 1');
    expect(fetch).toHaveBeenCalledWith({ page: 1, page_size: 20 });
  });

  it('has no Reset without a reset handler', async () => {
    await mountPage();
    expect(el('thing-filter-search')).not.toBeNull();
    expect(el('thing-filter-reset')).toBeNull();
  });

  it('asks for the page and the page size the pager picks, and the current page on reload', async () => {
    const fetch = await mountPage();
    const pages = [...document.body.querySelectorAll('[data-testid="thing-table"] li.arco-pagination-item')];
    (pages.find((item) => item.textContent === '3') as HTMLElement).click();
    await flushPromises();
    expect(fetch).toHaveBeenLastCalledWith({ page: 3, page_size: 20 });
    expect(el('thing-row-41')).not.toBeNull();
    el('thing-reload')!.click();
    await flushPromises();
    expect(fetch).toHaveBeenLastCalledWith({ page: 3, page_size: 20 });
    (el('thing-filter-search') as HTMLButtonElement).click();
    await flushPromises();
    expect(fetch).toHaveBeenLastCalledWith({ page: 1, page_size: 20 });
    wrapper!.findComponent(Table).vm.$emit('pageSizeChange', 50);
    await flushPromises();
    expect(fetch).toHaveBeenLastCalledWith({ page: 1, page_size: 50 });
    expect(el('thing-row-45')).not.toBeNull();
  });

  it('hides a column from the column settings and remembers it for the next visit', async () => {
    await mountPage();
    expect(headers()).toEqual(['Name', 'City']);
    el('thing-columns')!.click();
    await flushPromises();
    (el('thing-column-city')?.querySelector('input') as HTMLInputElement).click();
    await flushPromises();
    expect(headers()).toEqual(['Name']);
    expect(JSON.parse(localStorage.getItem('opcms.columns.thing') ?? '[]')).toEqual(['city']);

    wrapper!.unmount();
    document.body.innerHTML = '';
    await mountPage();
    expect(headers()).toEqual(['Name']);
    el('thing-columns')!.click();
    await flushPromises();
    el('thing-columns-reset')!.click();
    await flushPromises();
    expect(headers()).toEqual(['Name', 'City']);
    expect(localStorage.getItem('opcms.columns.thing')).toBeNull();
  });

  it('is at least as wide as its shown columns, gives a hidden column its room back, shows its scrollbar', async () => {
    // given columns without widths (120 px each)
    await mountPage();
    const scroll = () => wrapper!.findComponent(Table).props('scroll');
    expect(scroll()).toEqual({ x: '100%', minWidth: 240 });
    expect(wrapper!.findComponent(Table).props('scrollbar')).toMatchObject({ type: 'track' });
    // when one is hidden: the table needs its room no more
    el('thing-columns')!.click();
    await flushPromises();
    (el('thing-column-city')?.querySelector('input') as HTMLInputElement).click();
    await flushPromises();
    expect(scroll()).toEqual({ x: '100%', minWidth: 120 });
  });

  it('never hides the last column shown', async () => {
    await mountPage();
    el('thing-columns')!.click();
    await flushPromises();
    (el('thing-column-city')?.querySelector('input') as HTMLInputElement).click();
    await flushPromises();
    (el('thing-column-name')?.querySelector('input') as HTMLInputElement).click();
    await flushPromises();
    expect(headers()).toEqual(['Name']);
  });
});

describe('list page with described filters', () => {
  async function mountFiltered() {
    const fetch = vi.fn(async (params: { q: string | null; city: string | null }, paging: Paging) => {
      void params;
      return { items: ROWS.slice(0, paging.page_size), total: ROWS.length };
    });
    const Page = defineComponent({
      setup() {
        const list = useFilteredList({
          blank: () => ({ q: '', city: undefined as string | undefined, owner_id: null }),
          params: (model) => ({ q: model.q.trim() || null, city: model.city ?? null }),
          fetch,
          fields: () => [
            filter.text('q', 'Text'),
            filter.select('city', 'City', [
              { value: 'a', label: 'City A' },
              { value: 'b', label: 'City B' },
            ]),
            filter.slot('owner_id', 'Owner'),
          ],
        });
        list.search();
        return () =>
          h(
            ListPage,
            { list, columns: COLUMNS, testid: 'thing' },
            { 'filter-owner_id': () => h('input', { 'data-testid': 'thing-owner-custom' }) },
          );
      },
    });
    wrapper = mount(Page, { global: { plugins: [ArcoVue, ArcoVueIcon] }, attachTo: document.body });
    await flushPromises();
    return fetch;
  }

  it('draws each described filter with its test id, the custom one from its slot, and Reset', async () => {
    await mountFiltered();
    expect(el('thing-filter-q')?.tagName).toBe('INPUT');
    expect(el('thing-filter-city')).not.toBeNull();
    expect(el('thing-owner-custom')).not.toBeNull();
    expect(el('thing-filter-reset')).not.toBeNull();
    expect(el('things-page')).not.toBeNull();
    expect(document.body.textContent).toContain('City');
  });

  it('sends the filters typed in when searched, and the blank ones after Reset', async () => {
    const fetch = await mountFiltered();
    expect(fetch).toHaveBeenLastCalledWith({ q: null, city: null }, { page: 1, page_size: 20 });
    const input = el('thing-filter-q') as HTMLInputElement;
    input.value = '  acme ';
    input.dispatchEvent(new Event('input'));
    await flushPromises();
    (el('thing-filter-search') as HTMLButtonElement).click();
    await flushPromises();
    expect(fetch).toHaveBeenLastCalledWith({ q: 'acme', city: null }, { page: 1, page_size: 20 });
    (el('thing-filter-reset') as HTMLButtonElement).click();
    await flushPromises();
    expect(fetch).toHaveBeenLastCalledWith({ q: null, city: null }, { page: 1, page_size: 20 });
    expect((el('thing-filter-q') as HTMLInputElement).value).toBe('');
  });
});

describe('list page total', () => {
  it('says "about N" beside the pager when the total is a recent count, the exact total otherwise', async () => {
    setLocale('en-US');
    let estimate = true;
    const Page = defineComponent({
      setup() {
        const list = usePagedList(async (paging: Paging) => ({
          items: ROWS.slice(0, paging.page_size),
          total: 12345,
          total_is_estimate: estimate,
        }));
        list.search();
        return () => h(ListPage, { list, columns: COLUMNS, testid: 'thing', title: 'Things' });
      },
    });
    wrapper = mount(Page, { global: { plugins: [ArcoVue, ArcoVueIcon] }, attachTo: document.body });
    await flushPromises();
    expect(el('thing-total-about')?.textContent).toBe('about 12,345 in total');
    expect(document.body.querySelector('.arco-pagination-total')).toBeNull();
    estimate = false;
    el('thing-reload')!.click();
    await flushPromises();
    expect(el('thing-total-about')).toBeNull();
    expect(document.body.querySelector('.arco-pagination-total')?.textContent).toContain('12345');
    setLocale('zh-CN');
    estimate = true;
    el('thing-reload')!.click();
    await flushPromises();
    expect(el('thing-total-about')?.textContent).toBe('约 12,345 条');
  });
});
