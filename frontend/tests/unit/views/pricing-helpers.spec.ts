import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from '@/locale';
import {
  compareDecimal,
  decimalProblem,
  formatAmount,
  formatPercent,
  formatPrice,
  formatQuantity,
  normalizeDecimalInput,
  percentProblem,
  plainDecimal,
  QUANTITY_RULE,
  UNIT_PRICE_RULE,
} from '@/utils/decimal';
import {
  problemsOfTier,
  tierFrom,
  tierProblemsText,
  validateTiers,
  type TierInput,
} from '@/views/pricing/tiers';
import {
  addTier,
  emptyPlanModel,
  emptyPreviewInputs,
  previewInputProblem,
  removeTier,
  termsFromVersion,
  tierRow,
  toPlanCreateBody,
  toPlanDocument,
  toPlanUpdateBody,
  toPreviewBody,
  toVersionBody,
  validateTerms,
  type PlanFormModel,
} from '@/views/pricing/plan-model';
import { termsSummary } from '@/views/pricing/data';
import type { VersionPublic } from '@/api/pricing';

afterEach(() => setLocale('zh-CN'));

function tiers(...rows: [string | null, string, string?][]): TierInput[] {
  return rows.map(([up_to, unit_price, flat_fee]) => ({ up_to, unit_price, flat_fee: flat_fee ?? '0' }));
}

describe('decimal strings (never JS numbers)', () => {
  it('normalises typed input: spaces, thousands separators, full-width digits, a leading +', () => {
    expect(normalizeDecimalInput(' 1,234，567.50 ')).toBe('1234567.50');
    expect(normalizeDecimalInput('１２.５')).toBe('12.5');
    expect(normalizeDecimalInput('+3')).toBe('3');
    expect(normalizeDecimalInput(null)).toBe('');
  });

  it('writes a decimal the way the backend plain() does', () => {
    expect(plainDecimal('010.500')).toBe('10.5');
    expect(plainDecimal('10000.0000')).toBe('10000');
    expect(plainDecimal('0.000')).toBe('0');
    expect(plainDecimal('-0.0')).toBe('0');
    expect(plainDecimal('.5')).toBe('0.5');
    expect(plainDecimal('12345678901234567.1234')).toBe('12345678901234567.1234');
  });

  it('compares exactly, digit by digit (beyond the 2^53 of a float)', () => {
    expect(compareDecimal('10', '9.9999')).toBe(1);
    expect(compareDecimal('10.00', '010')).toBe(0);
    expect(compareDecimal('0.1', '0.10000001')).toBe(-1);
    expect(compareDecimal('9007199254740993', '9007199254740992')).toBe(1); // equal as floats
    expect(compareDecimal('-1', '0')).toBe(-1);
    expect(compareDecimal('-2', '-1')).toBe(-1);
  });

  it('refuses what pydantic refuses: not a number, negative, too many digits', () => {
    expect(decimalProblem('0.010000', UNIT_PRICE_RULE)).toBeNull();
    expect(decimalProblem('0.0100000', UNIT_PRICE_RULE)).toBeNull(); // trailing zeros do not count
    expect(decimalProblem('0.0000001', UNIT_PRICE_RULE)).toBe('fraction');
    expect(decimalProblem('1000000000000', UNIT_PRICE_RULE)).toBe('integer');
    expect(decimalProblem('-1', QUANTITY_RULE)).toBe('negative');
    expect(decimalProblem('-0', QUANTITY_RULE)).toBeNull();
    expect(decimalProblem('abc', QUANTITY_RULE)).toBe('invalid');
    expect(decimalProblem('1.2.3', QUANTITY_RULE)).toBe('invalid');
    expect(decimalProblem('.', QUANTITY_RULE)).toBe('invalid');
    expect(percentProblem('100')).toBeNull();
    expect(percentProblem('100.01')).toBe('range');
    expect(percentProblem('12.345')).toBe('fraction');
  });

  it('formats money, prices, quantities and percentages from the strings', () => {
    expect(formatAmount('1234567.5')).toBe('1,234,567.50');
    expect(formatAmount('10413.82375')).toBe('10,413.82375'); // never rounded in the browser
    expect(formatAmount('12345678901234.56')).toBe('12,345,678,901,234.56');
    expect(formatAmount(null)).toBe('-');
    expect(formatPrice('0.010000')).toBe('0.01');
    expect(formatPrice('0.008500')).toBe('0.0085');
    expect(formatPrice('1200')).toBe('1,200.00');
    expect(formatQuantity('1234567.5000')).toBe('1,234,567.5');
    expect(formatQuantity('10000')).toBe('10,000');
    expect(formatQuantity('')).toBe('-');
    expect(formatPercent('10.00')).toBe('10%');
    expect(formatPercent('12.50')).toBe('12.5%');
  });
});

describe("tier rules: the backend's messages, naming the tier", () => {
  it('reports every bound problem at once, word for word like the backend (English)', () => {
    setLocale('en-US');
    const problems = validateTiers(
      tiers([null, '0.01'], ['0', '0.01'], ['10.00', '0.01'], ['010.0', '1'], ['5', '1']),
      'graduated',
    );
    expect(tierProblemsText(problems)).toBe(
      'tier 1: up_to is empty (open-ended), but only the last tier may be open-ended; ' +
        'tier 2: up_to must be greater than 0; ' +
        "tier 4: up_to 10 must be greater than tier 3's up_to 10; " +
        "tier 5: up_to 5 must be greater than tier 4's up_to 10; " +
        'tier 5: the last tier must be open-ended (up_to null) so that every quantity has a price, but it has up_to 5',
    );
  });

  it('checks the values of each tier first, like the backend (bounds only when every value reads)', () => {
    setLocale('en-US');
    expect(
      tierProblemsText(
        validateTiers(tiers(['1000', '0.01'], ['500', '-1'], [null, 'abc', '1.234']), 'graduated'),
      ),
    ).toBe(
      'tier 2 unit_price: must not be negative; tier 3 unit_price: Input should be a valid decimal; ' +
        'tier 3 flat_fee: Decimal input should have no more than 2 decimal places',
    );
    expect(tierProblemsText(validateTiers(tiers(['1.00001', '1'], [null, '1', '-2']), 'volume'))).toBe(
      'tier 1 up_to: Decimal input should have no more than 4 decimal places; tier 2 flat_fee: must not be negative',
    );
    expect(tierProblemsText(validateTiers(tiers(['100', '1']), 'volume'))).toBe(
      'tier 1: the last tier must be open-ended (up_to null) so that every quantity has a price, but it has up_to 100',
    );
    expect(tierProblemsText(validateTiers([], 'graduated'))).toBe(
      'graduated pricing needs at least one tier (the last one with up_to null)',
    );
    expect(tierProblemsText(validateTiers(tiers([null, '']), 'graduated'))).toBe(
      'tier 1 unit_price: Field required',
    );
  });

  it('accepts strictly ascending bounds with an open-ended last tier (compared as decimals, not text)', () => {
    expect(
      validateTiers(tiers(['9', '0.02'], ['10', '0.015'], ['100.5', '0.01'], [null, '0.008']), 'graduated'),
    ).toEqual([]);
    expect(validateTiers(tiers([null, '0.01']), 'volume')).toEqual([]);
    expect(validateTiers(tiers([' 1,000 ', '1'], ['', '1']), 'volume')).toEqual([]); // blank up_to = open-ended
  });

  it('says the same in Chinese by default and puts each problem on its tier', () => {
    const problems = validateTiers(tiers(['10000', '0.01'], ['5000', '0.008'], [null, '0.006']), 'graduated');
    expect(tierProblemsText(problems)).toBe('第 2 层：上限 5000 必须大于第 1 层的上限 10000');
    expect(problemsOfTier(problems, 2)).toHaveLength(1);
    expect(problemsOfTier(problems, 1)).toEqual([]);
    expect(problems[0]).toMatchObject({ tier: 2, field: 'up_to' });
    expect(tierProblemsText(validateTiers(tiers(['1', '-1'], [null, '1']), 'graduated'))).toBe(
      '第 1 层单价：不能为负数',
    );
  });

  it('takes no tiers outside the tiered modes, and at most 20', () => {
    setLocale('en-US');
    expect(tierProblemsText(validateTiers(tiers([null, '1']), 'per_unit'))).toBe(
      'per_unit pricing takes no tiers (tiers are for graduated and volume pricing)',
    );
    const many = Array.from({ length: 21 }, (_, i) => ({
      up_to: i === 20 ? null : String(i + 1),
      unit_price: '1',
    }));
    expect(tierProblemsText(validateTiers(many, 'graduated'))).toBe(
      'at most 20 tiers are allowed; this plan has 21',
    );
  });

  it('shows where each tier starts', () => {
    const rows = tiers(['10000', '0.01'], ['', '0.009'], [null, '0.008']);
    expect([0, 1, 2].map((i) => tierFrom(rows, i))).toEqual(['0', '10000', '10000']);
  });
});

function graduatedModel(): PlanFormModel {
  const model = emptyPlanModel();
  Object.assign(model, {
    code: ' API-STD-2026 ',
    name: ' API 标准价 ',
    metric: 'api_calls',
    mode: 'graduated',
    unit_price: '0.5', // typed before switching modes: must not be sent
    package_size: '100',
    tiers: [
      tierRow({ up_to: '10,000', unit_price: '0.010000', flat_fee: '' }),
      tierRow({ up_to: '999', unit_price: '0.008', flat_fee: '5' }),
    ],
    monthly_fee: '100',
    included_quantity: '',
    minimum_amount: '0',
  });
  return model;
}

describe('plan form → request bodies', () => {
  it('creates a graduated plan with exact strings, the last tier open-ended and nothing of the other modes', () => {
    const body = toPlanCreateBody(graduatedModel());
    expect(body).toEqual({
      code: 'API-STD-2026',
      name: 'API 标准价',
      metric: 'api_calls',
      mode: 'graduated',
      tiers: [
        { up_to: '10000', unit_price: '0.010000', flat_fee: '0' },
        { up_to: null, unit_price: '0.008', flat_fee: '5' },
      ],
      monthly_fee: '100',
      included_quantity: '0',
      minimum_amount: '0',
    });
    for (const value of [body.monthly_fee, body.tiers?.[0].unit_price]) expect(typeof value).toBe('string');
  });

  it('sends only the fields of per_unit and package plans, and the date when one is given', () => {
    const model = graduatedModel();
    model.mode = 'per_unit';
    model.effective_from = '2026-02-01';
    model.description = '  ';
    const perUnit = toPlanCreateBody(model);
    expect(perUnit).toMatchObject({ mode: 'per_unit', unit_price: '0.5', effective_from: '2026-02-01' });
    expect(perUnit).not.toHaveProperty('tiers');
    expect(perUnit).not.toHaveProperty('package_size');
    expect(perUnit).not.toHaveProperty('description');
    model.mode = 'package';
    model.package_price = '5.00';
    const pkg = toPlanDocument(model, null);
    expect(pkg).toEqual({
      metric: 'preview',
      mode: 'package',
      package_size: '100',
      package_price: '5.00',
      monthly_fee: '100',
      included_quantity: '0',
      minimum_amount: '0',
    });
  });

  it('renames only what changed, and versions carry the terms from their date', () => {
    const original = { name: 'API 标准价', description: '旧说明' };
    expect(toPlanUpdateBody({ name: 'API 标准价 ', description: '旧说明' }, original)).toEqual({});
    expect(toPlanUpdateBody({ name: '新名字', description: '' }, original)).toEqual({
      name: '新名字',
      description: null,
    });
    const version = toVersionBody(graduatedModel(), '2026-03-01');
    expect(version.effective_from).toBe('2026-03-01');
    expect(version).not.toHaveProperty('metric');
    expect(toVersionBody(graduatedModel(), undefined)).not.toHaveProperty('effective_from');
  });

  it('starts a version from a stored one and edits tiers (add keeps the last open-ended, remove keeps one)', () => {
    const stored = {
      mode: 'volume',
      unit_price: null,
      tiers: [
        { up_to: '100', unit_price: '1.000000', flat_fee: '0.00' },
        { up_to: null, unit_price: '0.500000', flat_fee: '2.00' },
      ],
      package_size: null,
      package_price: null,
      monthly_fee: '0.00',
      included_quantity: '0.0000',
      minimum_amount: '10.00',
    } as unknown as VersionPublic;
    const terms = termsFromVersion(stored);
    expect(terms.tiers.map((r) => [r.up_to, r.unit_price, r.flat_fee])).toEqual([
      ['100', '1.000000', '0.00'],
      ['', '0.500000', '2.00'],
    ]);
    const added = addTier(terms.tiers);
    expect(added).toHaveLength(3);
    expect(added[1].up_to).toBe(''); // the former last tier now needs a bound
    expect(added[2]).toMatchObject({ up_to: '', unit_price: '' });
    expect(validateTerms({ ...terms, tiers: added }).tiers[0]).toMatchObject({
      tier: 3,
      field: 'unit_price',
    });
    added[2].unit_price = '0.1';
    expect(validateTerms({ ...terms, tiers: added }).tiers).toEqual([
      expect.objectContaining({ tier: 2, field: 'up_to', key: 'pricing.tier.openNotLast' }),
    ]);
    expect(removeTier(added, 2)).toHaveLength(2);
    expect(removeTier([added[0]], 0)).toHaveLength(1);
    expect(termsSummary(stored, '次')).toBe('2 层，首层 1.00');
  });

  it("checks the mode's own fields", () => {
    const model = graduatedModel();
    model.mode = 'per_unit';
    model.unit_price = '';
    model.monthly_fee = '-1';
    const problems = validateTerms(model);
    expect(problems.fields.unit_price?.key).toBe('pricing.rule.needsUnitPrice');
    expect(problems.fields.monthly_fee?.key).toBe('pricing.decimal.negative');
    model.mode = 'package';
    model.package_size = '0';
    expect(validateTerms(model).fields.package_size?.key).toBe('pricing.rule.packageSize');
    expect(validateTerms(graduatedModel()).tiers).toEqual([]);
  });
});

describe('preview inputs → request body', () => {
  it('prices a document or a stored plan, with discount and proration only when given', () => {
    const inputs = { ...emptyPreviewInputs(), quantity: '1,234,567.5' };
    const document = toPlanDocument(graduatedModel(), 'api_calls');
    expect(toPreviewBody(inputs, { document })).toEqual({ quantity: '1234567.5', plan: document });
    const stored = toPreviewBody(
      {
        ...inputs,
        discount_percent: '12.5',
        prorate: true,
        days_active: 10,
        days_in_period: 31,
        on: '2026-01-15',
      },
      { planId: 7 },
    );
    expect(stored).toEqual({
      quantity: '1234567.5',
      plan_id: 7,
      on: '2026-01-15',
      discount_percent: '12.5',
      days_active: 10,
      days_in_period: 31,
    });
  });

  it('names what blocks a preview', () => {
    expect(previewInputProblem({ ...emptyPreviewInputs(), quantity: '' })?.field).toBe('quantity');
    expect(previewInputProblem({ ...emptyPreviewInputs(), quantity: '1.23456' })?.message.key).toBe(
      'pricing.decimal.fraction',
    );
    expect(
      previewInputProblem({ ...emptyPreviewInputs(), quantity: '1', discount_percent: '101' })?.field,
    ).toBe('discount_percent');
    expect(
      previewInputProblem({
        ...emptyPreviewInputs(),
        quantity: '1',
        prorate: true,
        days_active: 31,
        days_in_period: 30,
      })?.message,
    ).toEqual({
      key: 'pricing.preview.daysOrder',
      params: { days: 30 },
    });
    expect(previewInputProblem({ ...emptyPreviewInputs(), quantity: '1' })).toBeNull();
  });
});
