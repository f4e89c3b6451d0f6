import { describe, expect, it, vi } from 'vitest';
import { reactive, ref } from 'vue';
import { flushPromises, mount } from '@vue/test-utils';
import ArcoVue from '@arco-design/web-vue';
import DetailDescriptions from '@/components/detail-descriptions.vue';
import DetailTable from '@/components/detail-table.vue';

const global = { plugins: [ArcoVue] };
const columns = [{ title: 'Name', dataIndex: 'name', slotName: 'name' }];

describe('detail-table', () => {
  it('hands the cell slots to the table and shows the empty text without rows', async () => {
    // the rows and columns go to a-table as they are (attributes, not props of detail-table)
    const rows = ref([{ id: 1, name: 'x' }]);
    const wrapper = mount(
      {
        components: { DetailTable },
        setup: () => ({ rows, columns }),
        template: `<detail-table :columns="columns" :data="rows" empty="none yet">
          <template #name="{ record }"><b class="cell">{{ record.name }}!</b></template>
        </detail-table>`,
      },
      { global },
    );
    await flushPromises();
    expect(wrapper.find('.cell').text()).toBe('x!');
    expect(wrapper.find('.arco-pagination').exists()).toBe(false);
    rows.value = [];
    await flushPromises();
    expect(wrapper.text()).toContain('none yet');
  });

  it('takes the rows, the spinner and the pager from a paged list', async () => {
    const onPageChange = vi.fn();
    const list = reactive({
      rows: [{ id: 1, name: 'a' }],
      loading: false,
      pagination: { current: 1, pageSize: 1, total: 3 },
      onPageChange,
    });
    const wrapper = mount(DetailTable, { props: { columns, list }, global });
    await flushPromises();
    expect(wrapper.find('.arco-table-td').text()).toBe('a');
    expect(wrapper.find('.arco-pagination-total').text()).toContain('3');
    await wrapper.find('.arco-pagination-item-next').trigger('click');
    expect(onPageChange).toHaveBeenCalledWith(2);
  });
});

describe('detail-descriptions', () => {
  it('draws one item per entry, its value with its test id, or the slot named by its key', async () => {
    const wrapper = mount(DetailDescriptions, {
      props: {
        items: [
          { key: 'a', label: 'A', value: '1', testid: 'fact-a' },
          { key: 'b', label: 'B' },
        ],
      },
      slots: { b: '<i class="custom">link</i>' },
      global,
    });
    await flushPromises();
    expect(wrapper.find('[data-testid="fact-a"]').text()).toBe('1');
    expect(wrapper.find('.custom').text()).toBe('link');
    expect(wrapper.findAll('.arco-descriptions-item-label').map((l) => l.text())).toEqual(['A', 'B']);
  });
});
