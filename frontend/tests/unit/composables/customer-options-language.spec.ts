import { beforeEach, describe, expect, it } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import { setLocale } from '@/locale';
import { resetCustomerOptions, useCustomerOptions } from '@/composables/useCustomerOptions';
import { mockTheApi } from '../helpers/mock-adapter';

const mock = mockTheApi();

describe('the customer pages’ dictionary options', () => {
  beforeEach(() => {
    resetCustomerOptions();
    setLocale('zh-CN');
    mock.on('GET', '/users/owners', { status: 200, data: { items: [] } });
    mock.on('GET', '/dictionaries/level', {
      status: 200,
      data: {
        items: [
          {
            id: 2,
            kind: 'level',
            code: 'A',
            label: 'A级',
            label_en: 'Level A',
            synonyms: [],
            sort_order: 1,
            is_active: true,
          },
          {
            id: 1,
            kind: 'level',
            code: 'S',
            label: 'S级',
            label_en: 'Level S',
            synonyms: [],
            sort_order: 0,
            is_active: true,
          },
          {
            id: 3,
            kind: 'level',
            code: 'X',
            label: '旧等级',
            label_en: 'Old',
            synonyms: [],
            sort_order: 2,
            is_active: false,
          },
        ],
      },
    });
    mock.on('GET', '/dictionaries/industry', {
      status: 200,
      data: {
        items: [
          {
            id: 9,
            kind: 'industry',
            code: 'energy',
            label: '能源',
            label_en: '',
            synonyms: [],
            sort_order: 0,
            is_active: true,
          },
        ],
      },
    });
  });

  it('follow the language when it is switched, without loading again', async () => {
    const { levels, industries } = useCustomerOptions();
    await flushPromises();
    expect(levels.value).toEqual([
      { value: 'S', label: 'S级' },
      { value: 'A', label: 'A级' },
    ]);
    setLocale('en-US');
    expect(levels.value.map((o) => o.label)).toEqual(['Level S', 'Level A']);
    // an entry without an English label shows its Chinese one
    expect(industries.value).toEqual([{ value: 'energy', label: '能源' }]);
    expect(mock.callsTo('GET', '/dictionaries/level')).toHaveLength(1);
    setLocale('zh-CN');
  });

  it('show the seeded lists in the language until the backend answers', () => {
    setLocale('en-US');
    const { industries } = useCustomerOptions();
    expect(industries.value[0]).toEqual({ value: 'internet', label: 'Internet' });
    setLocale('zh-CN');
    expect(industries.value[0]).toEqual({ value: 'internet', label: '互联网' });
  });
});
