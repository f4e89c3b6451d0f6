/**
 * Bank statements: the labels of every value the backend sends as a code (in both languages), the
 * checks of a mapping, of a line's allocations and of a split (on exact cents), and the pages —
 * the import dialog (preview, a corrected mapping saved as a profile, the import's counts and
 * skipped reasons), the workbench (accept all high, accept one, match by hand, leave as credit,
 * undo) and what a reader (auditor) is not offered.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { createMemoryHistory, createRouter } from 'vue-router';
import ArcoVue, { Message, Select, Upload } from '@arco-design/web-vue';
import ArcoVueIcon from '@arco-design/web-vue/es/icon';
import {
  BANK_PROFILES,
  CONFIDENCES,
  LINE_KINDS,
  LINE_STATUSES,
  SKIP_REASONS,
  STATEMENT_FIELDS,
  cleanMapping,
  downloadStatementReport,
  type StatementLine,
} from '@/api/bank-statements';
import { setLocale, t } from '@/locale';
import zhCN from '@/locale/statements/zh-CN';
import enUS from '@/locale/statements/en-US';
import { useAuthStore } from '@/store/auth';
import StatementForm from '@/views/bank-statements/form.vue';
import StatementList from '@/views/bank-statements/list.vue';
import Workbench from '@/views/bank-statements/workbench.vue';
import statementRoutes from '@/router/routes/modules/bank-statements';
import {
  checkDrafts,
  checkMapping,
  checkParts,
  confidenceLabel,
  fieldLabel,
  fillOldestFirst,
  lineFilterParams,
  lineKindLabel,
  lineStatusLabel,
  mappingChanged,
  profileLabel,
  proposalReasonText,
  skipReasonLabel,
  splitBody,
  type PartDraft,
} from '@/views/bank-statements/data';
import { mockTheApi } from '../helpers/mock-adapter';
import { userWithRole } from '../helpers/fixtures';

const CJK = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/;
/** every code of a proposal's reason the matching writes (`<customer basis>+<allocation kind>`, or no_customer) */
const REASON_CODES = [
  'account_learned',
  'name_exact',
  'name_fuzzy',
  'no_customer',
  'exact_amount',
  'combination',
  'fifo',
  'no_open_invoices',
];

const mock = mockTheApi();
let pinia: Pinia;
let wrapper: VueWrapper | undefined;

beforeEach(() => {
  localStorage.clear();
  setLocale('zh-CN');
  pinia = createPinia();
  setActivePinia(pinia);
});

afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
  setLocale('zh-CN');
  document.body.innerHTML = '';
});

// --- labels ----------------------------------------------------------------------------------------------
describe('labels', () => {
  const lists: [string, readonly string[], (value: string) => string][] = [
    ['profile', BANK_PROFILES, profileLabel],
    ['field', STATEMENT_FIELDS, fieldLabel],
    ['skip reason', SKIP_REASONS, skipReasonLabel],
    ['line kind', LINE_KINDS, lineKindLabel],
    ['line status', LINE_STATUSES, lineStatusLabel],
    ['confidence', CONFIDENCES, confidenceLabel],
    ['reason code', REASON_CODES, proposalReasonText],
    ['permission', ['statements:read', 'statements:write'], (p) => t(`permission.${p}`)],
  ];

  it.each(['zh-CN', 'en-US'] as const)('every value the backend sends as a code is said in %s', (locale) => {
    setLocale(locale);
    for (const [name, values, label] of lists) {
      for (const value of values) {
        const text = label(value);
        expect(text, `${name} ${value}`).not.toMatch(/^(statement|permission)\./);
        if (/_/.test(value)) expect(text, `${name} ${value}`).not.toBe(value);
        if (locale === 'zh-CN') expect(text, `${name} ${value}`).toMatch(CJK);
        else expect(text, `${name} ${value}`).not.toMatch(CJK);
      }
    }
  });

  it('the two message tables have the same keys, none blank, no Chinese in English', () => {
    expect(Object.keys(enUS).sort()).toEqual(Object.keys(zhCN).sort());
    for (const [key, text] of Object.entries(enUS)) {
      expect(text, key).not.toBe('');
      expect(text, key).not.toMatch(CJK);
    }
  });

  it("a proposal's reason is its two codes said one after the other; an unknown code as sent", () => {
    expect(proposalReasonText('account_learned+exact_amount')).toBe(
      '付款账号曾确认为该客户；金额与一张账单的未结金额一致',
    );
    setLocale('en-US');
    expect(proposalReasonText('name_fuzzy+fifo')).toBe(
      "Payer name resembles the customer's name；Oldest due invoices first",
    );
    expect(proposalReasonText('something_new')).toBe('something_new');
    expect(proposalReasonText(null)).toBe('-');
    expect(confidenceLabel(null)).toBe('No proposal');
  });

  it('the pages are for finance, admins and auditors only, the workbench too', () => {
    for (const route of statementRoutes) expect(route.meta?.roles).toEqual(['admin', 'finance', 'auditor']);
    expect(statementRoutes.map((r) => r.path)).toEqual(['bank-statements', 'bank-statements/:id(\\d+)']);
    expect(t(statementRoutes[0].meta?.title as string)).toBe('银行流水');
  });
});

// --- checks ------------------------------------------------------------------------------------------------
describe('the checks before anything is sent', () => {
  it('a mapping needs a date and money in', () => {
    expect(checkMapping({ credit: '贷方发生额' })?.key).toBe('statement.rule.needsDate');
    expect(checkMapping({ booked_on: '交易日期', debit: '借方' })?.key).toBe('statement.rule.needsAmount');
    // one column holds the date and the time (ICBC)
    expect(checkMapping({ booked_on: '交易时间', booked_at: '交易时间', credit: '贷方' })).toBeNull();
    expect(checkMapping({ booked_on: '日期', signed_amount: '发生额' })).toBeNull();
    expect(mappingChanged({ credit: 'A' }, { credit: 'A', debit: undefined })).toBe(false);
    expect(mappingChanged({ credit: 'A' }, { credit: 'B' })).toBe(true);
  });

  it('a field cleared in the mapping is sent blank, so that its column is not read', () => {
    expect(
      cleanMapping({ booked_on: '交易日期', credit: '贷方', summary: undefined, purpose: '  ' }),
    ).toEqual({
      booked_on: '交易日期',
      credit: '贷方',
      summary: '',
      purpose: '',
    });
    expect(cleanMapping({ summary: '', purpose: undefined })).toBeNull();
    expect(cleanMapping(null)).toBeNull();
  });

  it('a status filter is sent as a status, a skipped/duplicate one as a kind', () => {
    expect(lineFilterParams({ status: 'open', confidence: 'high' })).toEqual({
      status: 'open',
      kind: null,
      confidence: 'high',
    });
    expect(lineFilterParams({ status: 'duplicate', confidence: undefined })).toEqual({
      status: null,
      kind: 'duplicate',
      confidence: null,
    });
  });

  it('fills invoices oldest due first, exactly, and leaves out those that get nothing', () => {
    const invoices = [
      { invoice_id: 2, number: 'B', due_date: '2026-03-01', outstanding: '0.20' },
      { invoice_id: 1, number: 'A', due_date: '2026-02-01', outstanding: '0.10' },
      { invoice_id: 3, number: 'C', due_date: '2026-04-01', outstanding: '5.00' },
    ];
    expect(fillOldestFirst(invoices, '0.25').map((d) => [d.invoice_id, d.amount])).toEqual([
      [1, '0.10'],
      [2, '0.15'],
    ]);
  });

  it("allocations by hand: each ≤ its invoice's outstanding, all ≤ the line's amount, the rest is credit", () => {
    const draft = (id: number, outstanding: string, amount: string) => ({
      invoice_id: id,
      number: `INV-${id}`,
      due_date: '2026-01-31',
      outstanding,
      amount,
    });
    const ok = checkDrafts([draft(1, '100.00', '60.10'), draft(2, '50.00', '39.90')], '120.00');
    expect(ok).toMatchObject({ lines: {}, total: null, sum: '100.00', remaining: '20.00' });
    const over = checkDrafts([draft(1, '100.00', '100.01'), draft(2, '500.00', '130.00')], '120.00');
    expect(over.lines[1].key).toBe('payment.allocate.overOutstanding');
    expect(over.total).toMatchObject({ key: 'statement.rule.overAmount', params: { max: '120.00' } });
  });

  it('a split: two customers at least, each once, adding up to the amount exactly', () => {
    const part = (key: number, customer: number | null, amount: string): PartDraft => ({
      key,
      customer_id: customer,
      amount,
      allocations: [],
    });
    expect(checkParts([part(1, 7, '10.00')], '10.00').total?.key).toBe('statement.rule.partsAtLeastTwo');
    const short = checkParts([part(1, 7, '0.10'), part(2, 8, '0.20')], '0.31');
    expect(short.total).toMatchObject({ key: 'statement.rule.partsSum', params: { amount: '0.31' } });
    expect(short.remaining).toBe('0.01');
    const twice = checkParts([part(1, 7, '0.10'), part(2, 7, '0.21'), part(3, null, '1')], '0.31');
    expect(twice.parts[2].key).toBe('statement.rule.partTwice');
    expect(twice.parts[3].key).toBe('statement.rule.partCustomer');
    const good = [part(1, 7, '1,000.1'), part(2, 8, '0.2')];
    expect(checkParts(good, '1000.30')).toMatchObject({ parts: {}, total: null });
    expect(splitBody(good)).toEqual({
      parts: [
        { customer_id: 7, amount: '1000.10', allocations: [] },
        { customer_id: 8, amount: '0.20', allocations: [] },
      ],
    });
  });
});

// --- pages --------------------------------------------------------------------------------------------------
function router() {
  return createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: { template: '<div />' } },
      { path: '/bank-statements', name: 'bank-statements', component: { template: '<div />' } },
      { path: '/bank-statements/:id', name: 'bank-statement-detail', component: { template: '<div />' } },
      { path: '/customers/:id', name: 'customer-detail', component: { template: '<div />' } },
      { path: '/payments/:id', name: 'payment-detail', component: { template: '<div />' } },
      { path: '/invoices/:id', name: 'invoice-detail', component: { template: '<div />' } },
    ],
  });
}

function el(testid: string): HTMLElement {
  const found = document.body.querySelector(`[data-testid="${testid}"]`) as HTMLElement | null;
  if (!found) throw new Error(`no [data-testid="${testid}"]`);
  return found;
}

async function click(testid: string): Promise<void> {
  el(testid).click();
  await flushPromises();
}

const WRITER = ['statements:read', 'statements:write', 'customers:read', 'billing:read'];

describe('import dialog', () => {
  const preview = {
    profile: 'icbc',
    encoding: 'gb18030',
    header_row: 5,
    headers: ['凭证号', '交易时间', '贷方发生额', '借方发生额', '对方单位名称', '备注'],
    mapping: { serial: '凭证号', booked_on: '交易时间', credit: '贷方发生额', debit: '借方发生额' },
    fields: [...STATEMENT_FIELDS],
    account: '3100228800005566001',
    lines: [
      {
        row_number: 6,
        kind: 'incoming',
        reason: null,
        detail: null,
        booked_on: '2026-11-20',
        amount: '1100.00',
      },
      { row_number: 9, kind: 'skipped', reason: 'outgoing', detail: null, booked_on: null, amount: '500.00' },
    ],
  };

  it('previews the file as detected, sends the corrected mapping and its name, and shows what was imported', async () => {
    // given a finance user, a saved mapping, and a file the backend reads as ICBC
    useAuthStore().user = userWithRole('finance', { permissions: WRITER });
    mock.on('GET', '/bank-statement-profiles', {
      status: 200,
      data: {
        items: [
          { code: 'icbc', name: 'ICBC', builtin: true },
          { id: 3, code: '我的格式', name: '我的格式', builtin: false, mapping: {} },
        ],
        fields: STATEMENT_FIELDS,
      },
    });
    // the backend reads the file with the mapping it is given
    mock.on('POST', '/bank-statements/preview', (request) => {
      const given = (request.body as FormData).get('mapping');
      return {
        status: 200,
        data: { ...preview, mapping: given ? JSON.parse(given as string) : preview.mapping },
      };
    });
    mock.on('POST', '/bank-statements', {
      status: 201,
      data: {
        id: 9,
        filename: 'icbc.csv',
        profile: 'custom',
        account: '3100228800005566001',
        encoding: 'gb18030',
        lines_total: 6,
        incoming: 2,
        skipped: 3,
        duplicates: 1,
        incoming_amount: '1700.00',
        created_at: '2026-12-01T00:00:00Z',
        created_by: 'finance',
        skipped_lines: [
          { row_number: 9, reason: 'outgoing', detail: null },
          { row_number: 11, reason: 'totals', detail: null },
          { row_number: 7, reason: 'unreadable_amount', detail: 'abc' },
        ],
      },
    });
    const opened: number[] = [];
    wrapper = mount(StatementForm, {
      props: { visible: true, onOpen: (s: { id: number }) => opened.push(s.id) },
      global: { plugins: [pinia, router(), ArcoVue, ArcoVueIcon] },
      attachTo: document.body,
    });
    await flushPromises();

    // when a file is chosen and previewed
    const file = new File(['x'], 'icbc.csv');
    wrapper.findComponent(Upload).vm.$emit('change', [{ uid: '1', name: 'icbc.csv', file }]);
    await flushPromises();
    expect(el('statement-file').textContent).toContain('icbc.csv');
    await click('statement-import-submit');

    // then the file was read without a profile (detected), and the detected mapping is shown
    const sent = mock.callsTo('POST', '/bank-statements/preview')[0].body as FormData;
    expect(sent.get('file')).toBeInstanceOf(File);
    expect(sent.get('profile')).toBeNull();
    expect(el('statement-detected').textContent).toContain('工商银行');
    expect(el('statement-detected').textContent).toContain('第 5 行');
    expect(el('statement-preview-lines').textContent).toContain('支出，不是收款');
    expect(document.body.querySelector('[data-testid="statement-save-as"]')).toBeNull();

    // when the payer name is mapped by hand and the mapping saved under a name
    const payer = wrapper
      .findAllComponents(Select)
      .find((s) => s.vm.$attrs['data-testid'] === 'statement-mapping-payer_name');
    payer!.vm.$emit('update:modelValue', '对方单位名称');
    await flushPromises();
    // read again with the correction: it stays a correction of what was detected
    await click('statement-preview-again');
    const again = mock.callsTo('POST', '/bank-statements/preview')[1].body as FormData;
    expect(JSON.parse(again.get('mapping') as string).payer_name).toBe('对方单位名称');
    const name = el('statement-save-as') as HTMLInputElement;
    name.value = '工行新版';
    name.dispatchEvent(new Event('input'));
    await flushPromises();
    await click('statement-import-submit');

    // then the import carries the corrected mapping and the name; the dialog shows its counts and reasons
    const imported = mock.callsTo('POST', '/bank-statements')[0].body as FormData;
    const mappingSent = JSON.parse(imported.get('mapping') as string) as Record<string, string>;
    expect(Object.fromEntries(Object.entries(mappingSent).filter(([, header]) => header))).toEqual({
      ...preview.mapping,
      payer_name: '对方单位名称',
    });
    // every other field is sent blank: the backend reads no column for it
    expect(Object.keys(mappingSent).sort()).toEqual([...STATEMENT_FIELDS].sort());
    expect(imported.get('save_profile_as')).toBe('工行新版');
    expect(el('statement-import-incoming').textContent).toContain('2');
    expect(el('statement-import-duplicates').textContent).toContain('1');
    const skipped = el('statement-import-skipped-lines').textContent ?? '';
    expect(skipped).toContain('合计行');
    expect(skipped).toContain('金额无法识别');
    await click('statement-import-submit'); // go to the workbench
    expect(opened).toEqual([9]);
  });

  it("shows the backend's refusal of a file that is no statement, and sends nothing more", async () => {
    useAuthStore().user = userWithRole('finance', { permissions: WRITER });
    mock.on('GET', '/bank-statement-profiles', { status: 200, data: { items: [], fields: [] } });
    mock.on('POST', '/bank-statements/preview', {
      status: 422,
      data: { error: { code: 'not_a_statement', message: '此文件不是银行流水', details: [] } },
    });
    wrapper = mount(StatementForm, {
      props: { visible: true },
      global: { plugins: [pinia, router(), ArcoVue, ArcoVueIcon] },
      attachTo: document.body,
    });
    await flushPromises();
    const file = new File(['x'], 'notes.csv');
    wrapper.findComponent(Upload).vm.$emit('change', [{ uid: '1', name: 'notes.csv', file }]);
    await flushPromises();
    await click('statement-import-submit');
    expect(el('statement-import-error').textContent).toContain('此文件不是银行流水');
    expect(mock.callsTo('POST', '/bank-statements')).toHaveLength(0);
  });
});

describe('workbench', () => {
  const report = {
    auto: { count: 1, amount: '1100.00' },
    by_hand: { count: 0, amount: '0.00' },
    open: { count: 1, amount: '600.00' },
    skipped: { count: 3 },
    duplicates: { count: 0 },
  };
  const statement = {
    id: 4,
    filename: 'icbc.csv',
    profile: 'icbc',
    account: '3100228800005566001',
    encoding: 'gb18030',
    lines_total: 6,
    incoming: 2,
    skipped: 3,
    duplicates: 0,
    incoming_amount: '1700.00',
    created_at: '2026-12-01T00:00:00Z',
    created_by: 'finance',
    report,
  };
  function line(overrides: Partial<StatementLine>): StatementLine {
    return {
      id: 1,
      statement_id: 4,
      row_number: 6,
      kind: 'incoming',
      reason: null,
      detail: null,
      booked_on: '2026-11-20',
      booked_at: '10:23:45',
      amount: '1100.00',
      currency: 'CNY',
      payer_name: 'E2E 流水甲有限公司',
      payer_account: '6222021000018166',
      payer_bank: null,
      summary: '汇入汇款',
      purpose: null,
      serial: 'SN1',
      status: 'open',
      customer_id: 7,
      customer_name: 'E2E 流水甲有限公司',
      allocations: [{ invoice_id: 70, invoice_number: 'INV-70', amount: '1100.00' }],
      confidence: 'high',
      proposal_reason: 'name_exact+exact_amount',
      payment_id: null,
      payments: [],
      matched_by: null,
      accepted_at: null,
      accepted_by: null,
      conflict_payment_id: null,
      duplicate_of_id: null,
      ...overrides,
    };
  }
  const high = line({});
  const unknown = line({
    id: 2,
    row_number: 10,
    amount: '600.00',
    payer_name: '张三',
    customer_id: null,
    customer_name: null,
    allocations: [],
    confidence: 'low',
    proposal_reason: 'no_customer',
  });
  const skipped = line({
    id: 3,
    row_number: 9,
    kind: 'skipped',
    reason: 'outgoing',
    status: null,
    customer_id: null,
    allocations: [],
    confidence: null,
    proposal_reason: null,
  });

  async function mountWorkbench(permissions: string[], lines: StatementLine[]) {
    useAuthStore().user = userWithRole('finance', { permissions });
    mock.on('GET', '/bank-statements/4', { status: 200, data: statement });
    mock.on('GET', '/bank-statements/4/lines', {
      status: 200,
      data: { items: lines, total: lines.length, page: 1, page_size: 50 },
    });
    const r = router();
    await r.push('/bank-statements/4');
    wrapper = mount(Workbench, {
      global: { plugins: [pinia, r, ArcoVue, ArcoVueIcon] },
      attachTo: document.body,
    });
    for (let i = 0; i < 3; i += 1) await flushPromises();
    return wrapper;
  }

  it('shows each line with its proposal, confidence and reason, and the report with its sums', async () => {
    await mountWorkbench(WRITER, [high, skipped, unknown]);
    const table = el('statement-lines').textContent ?? '';
    expect(table).toContain('INV-70 · 1,100.00');
    expect(table).toContain('付款户名与客户名称一致；金额与一张账单的未结金额一致');
    expect(table).toContain('支出，不是收款');
    expect(table).toContain('未找到付款客户');
    expect(el('line-confidence-1').dataset.confidence).toBe('high');
    expect(el('line-status-3').dataset.status).toBe('skipped');
    expect(el('statement-report-auto').textContent).toContain('¥ 1,100.00');
    expect(el('statement-report-open').textContent).toContain('1 笔');
    // a line without a customer is matched by hand, not accepted as it is; a skipped one is neither
    expect(document.body.querySelector('[data-testid="line-accept-2"]')).toBeNull();
    expect(document.body.querySelector('[data-testid="line-hand-2"]')).not.toBeNull();
    expect(document.body.querySelector('[data-testid="line-hand-3"]')).toBeNull();
  });

  it('accepts every high line in one action, then one line as proposed, and reloads the report and lines', async () => {
    await mountWorkbench(WRITER, [high, unknown]);
    mock.on('POST', '/bank-statements/4/accept', {
      status: 200,
      data: { accepted: 1, conflicts: [], without_customer: 0, remaining: 0 },
    });
    mock.on('POST', '/bank-statement-lines/1/accept', { status: 200, data: { ...high, status: 'accepted' } });
    const before = mock.callsTo('GET', '/bank-statements/4/lines').length;
    await click('statement-accept-high');
    expect(mock.callsTo('POST', '/bank-statements/4/accept')[0].body).toEqual({ confidence: 'high' });
    await click('statement-accept-medium');
    expect(mock.callsTo('POST', '/bank-statements/4/accept')[1].body).toEqual({ confidence: 'medium' });
    await click('line-accept-1');
    expect(mock.callsTo('POST', '/bank-statement-lines/1/accept')[0].body).toEqual({});
    expect(mock.callsTo('GET', '/bank-statements/4/lines').length).toBeGreaterThan(before + 2);
  });

  it('calls accept-all again while lines are left (1,000 a call), and stops when a call gets no further', async () => {
    await mountWorkbench(WRITER, [high, unknown]);
    const answers = [
      { accepted: 1000, conflicts: [], without_customer: 2, remaining: 1500 },
      {
        accepted: 999,
        conflicts: [{ line_id: 9, row_number: 9, code: 'reference_taken' }],
        without_customer: 2,
        remaining: 500,
      },
      { accepted: 0, conflicts: [], without_customer: 2, remaining: 500 },
    ];
    let call = 0;
    mock.on('POST', '/bank-statements/4/accept', () => ({ status: 200, data: answers[call++] }));
    const success = vi.spyOn(Message, 'success');
    const warning = vi.spyOn(Message, 'warning');
    await click('statement-accept-high');
    expect(mock.callsTo('POST', '/bank-statements/4/accept')).toHaveLength(3);
    expect(success).toHaveBeenCalledWith('已接受 1999 笔');
    expect(warning).toHaveBeenCalledWith(expect.stringContaining('1'));
    success.mockRestore();
    warning.mockRestore();
  });

  it("matches a line by hand: another customer's invoice, or all of it as credit", async () => {
    await mountWorkbench(WRITER, [high, unknown]);
    mock.on('GET', '/invoices', (request) => ({
      status: 200,
      data: {
        items:
          request.params?.status === 'unsettled'
            ? [
                {
                  id: 80,
                  number: 'INV-80',
                  customer_id: 8,
                  period: '2026-10',
                  due_date: '2026-11-30',
                  outstanding: '600.00',
                },
              ]
            : [],
        total: 1,
        page: 1,
        page_size: 200,
      },
    }));
    mock.on('POST', '/bank-statement-lines/2/accept', {
      status: 200,
      data: { ...unknown, status: 'accepted' },
    });
    await click('line-hand-2');
    const select = wrapper!
      .findAllComponents({ name: 'CustomerSelect' })
      .find((s) => s.props('testid') === 'statement-hand-customer');
    select!.vm.$emit('update:modelValue', 8);
    await flushPromises();
    const add = wrapper!
      .findAllComponents(Select)
      .find((s) => s.vm.$attrs['data-testid'] === 'statement-hand-add');
    add!.vm.$emit('change', 80);
    await flushPromises();
    expect((el('statement-hand-amount-80') as HTMLInputElement).value).toBe('600.00');
    expect(el('statement-hand-remaining').textContent).toBe('0.00');
    await click('statement-hand-submit');
    expect(mock.callsTo('POST', '/bank-statement-lines/2/accept')[0].body).toEqual({
      customer_id: 8,
      allocations: [{ invoice_id: 80, amount: '600.00' }],
    });

    // the same line, left as the customer's credit
    await click('line-hand-2');
    const again = wrapper!
      .findAllComponents({ name: 'CustomerSelect' })
      .find((s) => s.props('testid') === 'statement-hand-customer');
    again!.vm.$emit('update:modelValue', 8);
    await flushPromises();
    await click('statement-hand-credit');
    expect(mock.callsTo('POST', '/bank-statement-lines/2/accept')[1].body).toEqual({
      customer_id: 8,
      allocations: [],
    });
  });

  it('splits a line across two customers, each with its invoices filled oldest first', async () => {
    await mountWorkbench(WRITER, [high, unknown]);
    mock.on('GET', '/invoices', (request) => {
      const customer = request.params?.customer_id;
      const invoice = (id: number, due: string, outstanding: string) => ({
        id,
        number: `INV-${id}`,
        customer_id: customer,
        period: '2026-10',
        due_date: due,
        outstanding,
      });
      const items =
        request.params?.status !== 'unsettled'
          ? []
          : customer === 7
            ? [invoice(71, '2026-12-31', '300.00'), invoice(70, '2026-11-30', '1100.00')]
            : [invoice(80, '2026-11-30', '600.00')];
      return { status: 200, data: { items, total: items.length, page: 1, page_size: 200 } };
    });
    mock.on('POST', '/bank-statement-lines/1/accept', { status: 200, data: { ...high, status: 'accepted' } });
    await click('line-hand-1');
    wrapper!
      .findAllComponents({ name: 'RadioGroup' })
      .find((r) => r.attributes('data-testid') === 'statement-hand-mode')!
      .vm.$emit('update:modelValue', 'split');
    await flushPromises();
    const customers = () =>
      wrapper!
        .findAllComponents({ name: 'CustomerSelect' })
        .filter((s) => /statement-part-customer/.test(s.props('testid')));
    customers()[1].vm.$emit('update:modelValue', 8);
    await flushPromises();
    const typeIn = async (testid: string, value: string) => {
      const input = el(testid) as HTMLInputElement;
      input.value = value;
      input.dispatchEvent(new Event('input'));
      await flushPromises();
    };
    await typeIn('statement-part-amount-0', '700');
    await click('statement-hand-submit');
    // 700 + nothing is not the line's 1,100.00: nothing is sent
    expect(el('statement-part-error-1').textContent).toContain('金额必须大于 0');
    expect(mock.callsTo('POST', '/bank-statement-lines/1/accept')).toHaveLength(0);
    await typeIn('statement-part-amount-1', '400');
    const invoicesOf = (index: number) =>
      wrapper!
        .findAllComponents(Select)
        .find((s) => s.vm.$attrs['data-testid'] === `statement-part-invoices-${index}`)!;
    invoicesOf(0).vm.$emit('change', [71, 70]);
    invoicesOf(1).vm.$emit('change', [80]);
    await flushPromises();
    expect(el('statement-parts-remaining').textContent).toBe('0.00');
    await click('statement-hand-submit');
    expect(mock.callsTo('POST', '/bank-statement-lines/1/accept')[0].body).toEqual({
      parts: [
        { customer_id: 7, amount: '700.00', allocations: [{ invoice_id: 70, amount: '700.00' }] },
        { customer_id: 8, amount: '400.00', allocations: [{ invoice_id: 80, amount: '400.00' }] },
      ],
    });
  });

  it('undoes an accepted line with its reason', async () => {
    const accepted = line({ status: 'accepted', matched_by: 'auto', payment_id: 55, payments: [] });
    await mountWorkbench(WRITER, [accepted]);
    mock.on('POST', '/bank-statement-lines/1/undo', { status: 200, data: { ...accepted, status: 'open' } });
    expect(el('line-payment-1').textContent).toContain('55');
    await click('line-undo-1');
    const reason = el('statement-undo-dialog-reason').querySelector('textarea') as HTMLTextAreaElement;
    reason.value = '客户付错了账户';
    reason.dispatchEvent(new Event('input'));
    await flushPromises();
    await click('statement-undo-dialog-submit');
    expect(mock.callsTo('POST', '/bank-statement-lines/1/undo')[0].body).toEqual({
      reason: '客户付错了账户',
    });
  });

  it('offers an auditor no action: the lines and the report only', async () => {
    await mountWorkbench(['statements:read'], [high, unknown]);
    expect(document.body.querySelector('[data-testid="statement-accept-high"]')).toBeNull();
    expect(document.body.querySelector('[data-testid="line-accept-1"]')).toBeNull();
    expect(document.body.querySelector('[data-testid="line-hand-2"]')).toBeNull();
    expect(el('statement-readonly').textContent).toContain('只读');
    expect(el('statement-report-download')).not.toBeNull();
  });
});

describe('statements list', () => {
  const item = {
    id: 4,
    filename: 'icbc.csv',
    profile: 'icbc',
    account: '3100228800005566001',
    encoding: 'gb18030',
    lines_total: 6,
    incoming: 2,
    skipped: 3,
    duplicates: 1,
    incoming_amount: '1700.00',
    created_at: '2026-12-01T00:00:00Z',
    created_by: 'finance',
    open_lines: 1,
    accepted_lines: 1,
  };

  async function mountList(permissions: string[]) {
    useAuthStore().user = userWithRole('finance', { permissions });
    mock.on('GET', '/bank-statements', {
      status: 200,
      data: { items: [item], total: 1, page: 1, page_size: 20 },
    });
    mock.on('GET', '/bank-statement-profiles', { status: 200, data: { items: [], fields: [] } });
    wrapper = mount(StatementList, {
      global: { plugins: [pinia, router(), ArcoVue, ArcoVueIcon] },
      attachTo: document.body,
    });
    for (let i = 0; i < 3; i += 1) await flushPromises();
  }

  it('lists the statements with their counts and money in, each opening its workbench', async () => {
    await mountList(WRITER);
    const table = el('statement-table').textContent ?? '';
    expect(table).toContain('icbc.csv');
    expect(table).toContain('工商银行');
    expect(table).toContain('1,700.00');
    expect(el('statement-open-4').getAttribute('href')).toBe('/bank-statements/4');
    await click('statement-create');
    expect(el('statement-import-modal')).not.toBeNull();
  });

  it('offers a reader no import', async () => {
    await mountList(['statements:read']);
    expect(el('statement-table').textContent).toContain('icbc.csv');
    expect(document.body.querySelector('[data-testid="statement-create"]')).toBeNull();
  });
});

describe('report download', () => {
  it("asks for the statement's report.xlsx as a file", async () => {
    mock.on('GET', '/bank-statements/4/report.xlsx', {
      status: 200,
      data: new Blob(['x']),
      headers: { 'content-disposition': 'attachment; filename="statement-4-report.xlsx"' },
    });
    const file = await downloadStatementReport(4);
    expect(file.filename).toBe('statement-4-report.xlsx');
    expect(mock.callsTo('GET', '/bank-statements/4/report.xlsx')[0].responseType).toBe('blob');
  });
});
