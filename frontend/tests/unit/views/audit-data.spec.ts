import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS, AUDIT_ENTITY_TYPES } from '@/api/audit';
import enUS from '@/locale/audit/en-US';
import zhCN from '@/locale/audit/zh-CN';
import {
  auditChanges,
  auditFilterParams,
  changedFieldsSummary,
  emptyAuditFilters,
  entityIdProblem,
  filtersFromQuery,
  filtersToQuery,
  formatAuditValue,
  formatChange,
  recordLocation,
  valueKind,
} from '@/views/audit/data';

describe('audit log page helpers', () => {
  it('takes the filters a link names, and drops what it cannot use', () => {
    expect(filtersFromQuery({ entity_type: 'invoice', entity_id: '12' })).toEqual({
      ...emptyAuditFilters(),
      entity_type: 'invoice',
      entity_id: '12',
    });
    // an id without its type, an unknown action, a reversed range
    const model = filtersFromQuery({
      entity_id: '12',
      action: 'explode',
      since: '2026-03-02',
      until: '2026-03-01',
    });
    expect(model).toEqual(emptyAuditFilters());
    const ranged = filtersFromQuery({
      action: 'void',
      since: '2026-03-01',
      until: '2026-03-31',
      actor: ' bob ',
    });
    expect(ranged.days).toEqual(['2026-03-01', '2026-03-31']);
    expect(filtersToQuery(ranged)).toEqual({
      action: 'void',
      actor: 'bob',
      since: '2026-03-01',
      until: '2026-03-31',
    });
  });

  it('sends the days as the start of the first and the start of the day after the last', () => {
    const params = auditFilterParams({ ...emptyAuditFilters(), days: ['2026-03-01', '2026-03-31'] });
    expect(new Date(params.since!).getTime()).toBe(new Date('2026-03-01T00:00:00').getTime());
    expect(new Date(params.until!).getTime()).toBe(new Date('2026-04-01T00:00:00').getTime());
    expect(auditFilterParams(emptyAuditFilters())).toEqual({
      entity_type: null,
      entity_id: null,
      actor: null,
      action: null,
      since: null,
      until: null,
    });
    expect(entityIdProblem({ ...emptyAuditFilters(), entity_id: '3' })).toBeTruthy();
    expect(entityIdProblem({ ...emptyAuditFilters(), entity_id: '3', entity_type: 'invoice' })).toBeNull();
  });

  it('lists only the changed fields, a masked secret included', () => {
    const changes = auditChanges({
      before: { total: '1200.50', status: 'unsettled', password_hash: '***', updated_at: 'x' },
      after: { total: '99.00', status: 'unsettled', password_hash: '***', updated_at: 'y' },
    });
    expect(changes.map((c) => c.field)).toEqual(['total', 'password_hash']);
    // a create: the fields given a value
    expect(auditChanges({ before: null, after: { name: 'A', remark: null } }).map((c) => c.field)).toEqual([
      'name',
    ]);
    expect(changedFieldsSummary({ before: null, after: { a: 1, b: 2, c: 3, d: 4, e: 5 } })).toBe(
      'a, b, c, d +1',
    );
  });

  it('formats amounts, quantities, instants and masked values', () => {
    expect(formatAuditValue('1234567.50')).toBe('1,234,567.50');
    expect(formatAuditValue('10000.0000')).toBe('10,000.0000');
    expect(formatAuditValue('2026-01-02T03:04:05Z')).toMatch(/^2026-01-0\d \d\d:04:05$/);
    expect(formatAuditValue('2026-01-02')).toBe('2026-01-02');
    expect(valueKind('***')).toBe('masked');
    expect(formatAuditValue('https://***@vendor.example/api')).toBe('https://***@vendor.example/api');
    expect(valueKind('https://***@vendor.example/api')).toBe('masked');
    expect(formatAuditValue(null)).toBe('∅');
    expect(formatAuditValue({ a: 1 })).toBe('{"a":1}');
  });

  it('names a status and a payment method by their labels', () => {
    expect(formatChange('invoice', 'status', 'partially_settled')).toBe('部分结算');
    expect(formatChange('invoice', 'total', '1100.00')).toBe('1,100.00');
    expect(formatChange('task_execution', 'status', 'pending')).toBe('排队中');
    expect(formatChange('customer', 'level', 'A')).toBe('A级');
  });

  it('links an entry to its record where the record has a page', () => {
    expect(recordLocation({ entity_type: 'invoice', entity_id: '12' })).toEqual({
      name: 'invoice-detail',
      params: { id: '12' },
    });
    expect(recordLocation({ entity_type: 'pricing_plan', entity_id: '3' })).toBeNull();
    expect(recordLocation({ entity_type: 'customer', entity_id: null })).toBeNull();
  });

  it('names every action and entity type in both languages, with the same keys', () => {
    expect(Object.keys(enUS).sort()).toEqual(Object.keys(zhCN).sort());
    for (const action of AUDIT_ACTIONS) {
      expect(zhCN).toHaveProperty(`audit.action.${action}`);
      expect(enUS).toHaveProperty(`audit.action.${action}`);
    }
    for (const type of AUDIT_ENTITY_TYPES) {
      expect(zhCN).toHaveProperty(`audit.entity.${type}`);
      expect(enUS).toHaveProperty(`audit.entity.${type}`);
    }
  });
});
