import { describe, expect, it } from 'vitest';
import { isVNode, type VNode } from 'vue';
import type { TableColumnData, TableData } from '@arco-design/web-vue';
import {
  actionsColumn,
  countersColumn,
  fieldColumn,
  idColumn,
  moneyColumn,
  slotColumn,
  textColumn,
  timeColumn,
} from '@/utils/columns';

function cell(column: TableColumnData, record: TableData): unknown {
  return column.render!({ record, column, rowIndex: 0 });
}

describe('column builders', () => {
  it('build the same column objects as written out', () => {
    expect(slotColumn('ID', 'name', 180, { fixed: 'left' })).toEqual({
      title: 'ID',
      slotName: 'name',
      width: 180,
      fixed: 'left',
    });
    expect(fieldColumn('#', 'position', 50)).toEqual({ title: '#', dataIndex: 'position', width: 50 });
    expect(fieldColumn('#', 'name')).toEqual({ title: '#', dataIndex: 'name' });
    expect(textColumn('ID', 'remark', 160)).toEqual({
      title: 'ID',
      dataIndex: 'remark',
      width: 160,
      ellipsis: true,
      tooltip: true,
    });
    expect(idColumn(70, { fixed: 'left' })).toEqual({
      title: 'ID',
      dataIndex: 'id',
      width: 70,
      fixed: 'left',
    });
    expect(actionsColumn(90)).toMatchObject({ slotName: 'actions', width: 90, fixed: 'right' });
  });

  it('draw amounts, times and counters in their cells', () => {
    const money = cell(moneyColumn('ID', 'total', 'total'), { total: '1234.5' }) as VNode;
    expect(isVNode(money) && money.props?.class).toBe('money');
    expect(money.children).toBe('1,234.50');
    expect(moneyColumn('ID', 'total', 'total')).toMatchObject({
      align: 'right',
      width: 140,
      slotName: 'total',
    });
    expect(cell(timeColumn('ID', 'createdAt', 'created_at'), { created_at: null })).toBe('-');
    const none = cell(countersColumn(300), { counters: {} }) as VNode;
    expect(none.children).toBe('-');
    const counters = cell(countersColumn(300), { counters: { written: 3 } }) as VNode[];
    expect(counters).toHaveLength(1);
    expect(String(counters[0].children)).toMatch(/ 3$/);
  });
});
