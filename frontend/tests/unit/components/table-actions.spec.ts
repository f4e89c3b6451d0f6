import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h, ref } from 'vue';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createMemoryHistory, createRouter } from 'vue-router';
import ArcoVue from '@arco-design/web-vue';
import ArcoVueIcon from '@arco-design/web-vue/es/icon';
import TableActions, { deleteAction, type RowAction } from '@/components/table-actions.vue';
import ListCreate, { LIST_TESTID } from '@/components/list-create.vue';

interface Row {
  id: number;
  name: string;
}

let wrapper: VueWrapper | undefined;

afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
  document.body.innerHTML = '';
});

function el(testid: string): HTMLElement | null {
  return document.body.querySelector(`[data-testid="${testid}"]`);
}

async function mountActions(actions: RowAction<{ id: number }>[], record: Row = { id: 7, name: 'acme' }) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/x/:id', name: 'thing', component: { render: () => null } }],
  });
  wrapper = mount(TableActions, {
    props: { actions, record, testid: 'thing', rowKey: record.name },
    global: { plugins: [ArcoVue, ArcoVueIcon, router] },
    attachTo: document.body,
  });
  await flushPromises();
  return wrapper;
}

describe('table-actions', () => {
  it('draws the offered actions with their test ids, common texts and link', async () => {
    const edit = vi.fn();
    await mountActions([
      { id: 'view', to: { name: 'thing', params: { id: 7 } } },
      { id: 'edit', run: edit },
      { id: 'hidden', text: 'Hidden', when: false, run: vi.fn() },
    ]);
    expect(el('thing-view-acme')?.tagName).toBe('A');
    expect(el('thing-view-acme')?.getAttribute('href')).toBe('/x/7');
    expect(el('thing-hidden-acme')).toBeNull();
    el('thing-edit-acme')!.click();
    expect(edit).toHaveBeenCalledOnce();
  });

  it('runs a row action with the row after its confirmation and spins while it runs for the row', async () => {
    const busyId = ref<number | null>(null);
    const run = vi.fn();
    await mountActions([deleteAction('Delete acme?', { busyId, run })]);
    const button = el('thing-delete-acme')!;
    expect(button.className).toContain('status-danger');
    button.click();
    await flushPromises();
    expect(run).not.toHaveBeenCalled();
    expect(document.body.textContent).toContain('Delete acme?');
    (document.body.querySelector('.arco-popconfirm .arco-btn-primary') as HTMLElement).click();
    await flushPromises();
    expect(run).toHaveBeenCalledWith({ id: 7, name: 'acme' });
    busyId.value = 7;
    await flushPromises();
    expect(el('thing-delete-acme')!.className).toContain('loading');
  });

  it('shows a dash when the row offers nothing', async () => {
    const page = await mountActions([{ id: 'edit', when: false }]);
    expect(page.text()).toBe('-');
  });
});

describe('list-create', () => {
  it('is the primary create button of its list page, test id from the page', async () => {
    const click = vi.fn();
    const Page = defineComponent({
      provide: { [LIST_TESTID as symbol]: 'thing' },
      setup: () => () => h(ListCreate, { text: 'common.edit', onClick: click }),
    });
    wrapper = mount(Page, { global: { plugins: [ArcoVue, ArcoVueIcon] }, attachTo: document.body });
    el('thing-create')!.click();
    expect(click).toHaveBeenCalledOnce();
    expect(el('thing-create')!.className).toContain('arco-btn-primary');
  });
});
