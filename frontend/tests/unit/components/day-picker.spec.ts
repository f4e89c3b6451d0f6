import { afterEach, describe, expect, it } from 'vitest';
import { defineComponent, h, ref } from 'vue';
import { mount, type VueWrapper } from '@vue/test-utils';
import ArcoVue, { DatePicker } from '@arco-design/web-vue';
import DayPicker from '@/components/day-picker.vue';

let wrapper: VueWrapper | undefined;

afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
});

describe('day-picker', () => {
  it('is a full-width date picker of YYYY-MM-DD text, v-model and attributes on the picker', async () => {
    const day = ref<string | undefined>('2026-03-01');
    wrapper = mount(
      defineComponent({
        setup: () => () =>
          h(DayPicker, {
            modelValue: day.value,
            'onUpdate:modelValue': (value: string | undefined) => (day.value = value),
            'data-testid': 'input-day',
          }),
      }),
      { global: { plugins: [ArcoVue] } },
    );
    const picker = wrapper.findComponent(DatePicker);
    const given = picker.vm.$.vnode.props ?? {};
    expect(given['value-format']).toBe('YYYY-MM-DD');
    expect(given.modelValue).toBe('2026-03-01');
    expect(JSON.stringify(given.style)).toContain('100%');
    expect(wrapper.find('[data-testid="input-day"]').exists()).toBe(true);
    picker.vm.$emit('update:modelValue', '2026-03-02');
    expect(day.value).toBe('2026-03-02');
  });
});
