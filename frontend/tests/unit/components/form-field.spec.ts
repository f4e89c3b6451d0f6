import { afterEach, describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import { mount, type VueWrapper } from '@vue/test-utils';
import ArcoVue, { Form } from '@arco-design/web-vue';
import FormField from '@/components/form-field.vue';
import { provideFormFields, type FormFields } from '@/composables/useFormFields';

let wrapper: VueWrapper | undefined;

afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
});

/** A form field in a form, as the forms use it, with a text as its control; `fields`: what the form tells it. */
function mountField(props: Record<string, unknown>, fields?: FormFields) {
  wrapper?.unmount();
  wrapper = mount(
    defineComponent({
      setup: () => {
        if (fields) provideFormFields(fields);
        return () =>
          h(Form, { model: {}, layout: 'vertical' }, () =>
            h(FormField, { label: 'Name', 'data-testid': 'field-name', ...props }, () =>
              h('span', 'control'),
            ),
          );
      },
    }),
    { global: { plugins: [ArcoVue] } },
  );
  return wrapper;
}

describe('form-field', () => {
  it('shows the error under the control in red, instead of the hint', () => {
    const item = mountField({ error: 'too long', hint: 'at most 64' }).find('[data-testid="field-name"]');
    expect(item.classes()).toContain('arco-form-item-error');
    expect(item.text()).toContain('Name');
    expect(item.text()).toContain('control');
    expect(item.text()).toContain('too long');
    expect(item.text()).not.toContain('at most 64');
  });

  it('shows the hint while there is no error', () => {
    const item = mountField({ error: undefined, hint: 'at most 64' }).find('[data-testid="field-name"]');
    expect(item.classes()).not.toContain('arco-form-item-error');
    expect(item.text()).toContain('at most 64');
  });

  it('takes the message and the test id its form gives its name, unless told its own', () => {
    const messages: Record<string, string> = { code: 'taken' };
    const fields = { error: (name: string) => messages[name], testid: (name: string) => `field-x-${name}` };
    const code = mountField({ name: 'code', 'data-testid': undefined }, fields).find(
      '[data-testid="field-x-code"]',
    );
    expect(code.classes()).toContain('arco-form-item-error');
    expect(code.text()).toContain('taken');
    const own = mountField({ name: 'name', error: 'mine' }, fields);
    expect(own.find('[data-testid="field-name"]').text()).toContain('mine');
    expect(own.find('[data-testid="field-x-name"]').exists()).toBe(false);
  });

  it('sits in a grid cell of its span, its attributes on the form item', () => {
    const view = mountField({ span: 12 });
    const cell = view.find('.arco-col-12');
    expect(cell.exists()).toBe(true);
    expect(cell.find('[data-testid="field-name"]').classes()).toContain('arco-form-item');
    view.unmount();
    expect(mountField({}).find('.arco-col').exists()).toBe(false);
  });
});
