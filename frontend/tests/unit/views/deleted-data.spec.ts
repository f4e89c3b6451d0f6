import { describe, expect, it } from 'vitest';
import { DELETED_KINDS } from '@/api/deleted';
import enUS from '@/locale/deleted/en-US';
import zhCN from '@/locale/deleted/zh-CN';
import { kindFromQuery, recordFields, rowName, valueText } from '@/views/deleted/data';

describe('deleted records page helpers', () => {
  it('takes the kind a link names, and the first kind for anything else', () => {
    expect(kindFromQuery({ entity: 'pricing_plan' })).toBe('pricing_plan');
    expect(kindFromQuery({ entity: 'invoice' })).toBe('customer');
    expect(kindFromQuery({})).toBe('customer');
  });

  it('lists the record as it was, field by field, empty values as a dash', () => {
    const fields = recordFields({
      record: { id: 3, code: 'P1', description: null, settings: { a: 1 }, is_deleted: true, remark: '' },
    });
    expect(fields).toEqual([
      { name: 'id', value: '3' },
      { name: 'code', value: 'P1' },
      { name: 'description', value: '-' },
      { name: 'settings', value: '{"a":1}' },
      { name: 'is_deleted', value: 'true' },
      { name: 'remark', value: '-' },
    ]);
    expect(valueText('***')).toBe('***');
    const [when] = recordFields({ record: { deleted_at: '2026-01-02T03:04:05+00:00' } });
    expect(when.value).toMatch(/^2026-01-02 \d\d:04:05$/);
  });

  it('names a row by its label, else by its id', () => {
    expect(rowName({ id: 4, label: 'P1 · Plan' })).toBe('P1 · Plan');
    expect(rowName({ id: 4, label: '' })).toBe('#4');
  });

  it('has every kind named in both languages, with the same keys', () => {
    expect(Object.keys(enUS).sort()).toEqual(Object.keys(zhCN).sort());
    for (const kind of DELETED_KINDS) {
      expect(zhCN).toHaveProperty(`deleted.kind.${kind}`);
      expect(enUS).toHaveProperty(`deleted.kind.${kind}`);
    }
  });
});
