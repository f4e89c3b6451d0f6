import { afterEach, describe, expect, it } from 'vitest';
import { defineComponent, h, ref } from 'vue';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import ArcoVue from '@arco-design/web-vue';
import ArcoVueIcon from '@arco-design/web-vue/es/icon';
import SecretsEditor from '@/components/secrets-editor.vue';
import { secretEntries, secretsToPatch, type SecretEntry } from '@/utils/secrets';

let wrapper: VueWrapper | undefined;

afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
  document.body.innerHTML = '';
});

function inRow(name: string, testid: string): HTMLElement | null {
  return document.body.querySelector(`[data-testid="secret-row-${name}"] [data-testid="${testid}"]`);
}

async function type(input: HTMLInputElement, value: string) {
  input.value = value;
  input.dispatchEvent(new Event('input'));
  await flushPromises();
}

/** The editor bound to entries with v-model, as the forms use it. */
function mountEditor(start: SecretEntry[], props: Record<string, unknown> = {}) {
  const entries = ref(start);
  wrapper = mount(
    defineComponent({
      setup: () => () =>
        h(SecretsEditor, {
          ...props,
          modelValue: entries.value,
          'onUpdate:modelValue': (value: SecretEntry[]) => (entries.value = value),
        }),
    }),
    { global: { plugins: [ArcoVue, ArcoVueIcon] }, attachTo: document.body },
  );
  return entries;
}

describe('secrets editor', () => {
  it('free rows: stored ones show "set" and never a value; a row is added by name, typed, and deleted again', async () => {
    const entries = mountEditor(secretEntries(['token']), { suggest: 'hmac_secret' });
    expect(inRow('token', 'secret-set')).not.toBeNull();
    expect((inRow('token', 'secret-value') as HTMLInputElement).value).toBe('');
    expect(inRow('token', 'secret-delete')).toBeNull(); // a stored secret is removed, not deleted

    (document.body.querySelector('[data-testid="secret-add-needed"]') as HTMLElement).click();
    await flushPromises();
    expect(document.body.querySelector('[data-testid="secret-add-needed"]')).toBeNull();
    await type(inRow('hmac_secret', 'secret-value') as HTMLInputElement, 'k3y');
    expect(secretsToPatch(entries.value)).toEqual({ hmac_secret: 'k3y' });

    (inRow('hmac_secret', 'secret-delete') as HTMLElement).click();
    await flushPromises();
    expect(entries.value.map((e) => e.name)).toEqual(['token']);
    expect(secretsToPatch(entries.value)).toBeUndefined();
  });

  it('removing a stored secret drops a typed value and sends null; fixed names add no rows', async () => {
    const entries = mountEditor(secretEntries(['password'], ['username', 'password']), {
      fixed: true,
      required: ['username'],
    });
    expect(document.body.querySelector('[data-testid="secret-add"]')).toBeNull();
    expect(inRow('username', 'secret-remove')).toBeNull(); // not stored: nothing to remove
    await type(inRow('password', 'secret-value') as HTMLInputElement, 'typed');
    (inRow('password', 'secret-remove')?.querySelector('input') as HTMLInputElement).click();
    await flushPromises();
    expect(entries.value[1]).toMatchObject({ name: 'password', value: '', remove: true });
    expect(inRow('password', 'secret-set')).toBeNull();
    expect(secretsToPatch(entries.value)).toEqual({ password: null });
  });
});
