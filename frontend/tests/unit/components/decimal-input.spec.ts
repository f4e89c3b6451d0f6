import { afterEach, describe, expect, it } from 'vitest';
import { defineComponent, h, ref } from 'vue';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import ArcoVue from '@arco-design/web-vue';
import DecimalInput from '@/components/decimal-input.vue';

let wrapper: VueWrapper | undefined;

afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
});

function mountInput(props: Record<string, unknown>) {
  const value = ref('1.50');
  wrapper = mount(
    defineComponent({
      setup: () => () =>
        h(DecimalInput, {
          ...props,
          modelValue: value.value,
          'onUpdate:modelValue': (next?: string) => (value.value = next ?? ''),
        }),
    }),
    { global: { plugins: [ArcoVue] } },
  );
  return { value, view: wrapper };
}

describe('decimal-input', () => {
  it('keeps the value a string, its test id and a digits keyboard on the input element', async () => {
    const { value, view } = mountInput({ testid: 'input-amount', placeholder: '0.00' });
    const input = view.find<HTMLInputElement>('input[data-testid="input-amount"]');
    expect(input.element.value).toBe('1.50');
    expect(input.attributes('inputmode')).toBe('decimal');
    expect(input.attributes('placeholder')).toBe('0.00');
    await input.setValue('0.10');
    await flushPromises();
    expect(value.value).toBe('0.10');
  });

  it('puts ¥ before an amount of money and the unit after a quantity', () => {
    expect(mountInput({ money: true }).view.find('.arco-input-prefix').text()).toBe('¥');
    wrapper?.unmount();
    const { view } = mountInput({ suffix: 'GB' });
    expect(view.find('.arco-input-prefix').exists()).toBe(false);
    expect(view.find('.arco-input-suffix').text()).toBe('GB');
  });
});
