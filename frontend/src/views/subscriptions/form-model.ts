/**
 * The subscription form's model and its mapping to the API bodies (create: all given; update:
 * only what changed: the end date, the discount and the remark). The discount stays a decimal
 * string ("12.50"), never a number.
 */
import type { SubscriptionCreate, SubscriptionPublic, SubscriptionUpdate } from '@/api/pricing';
import { compareDecimal, normalizeDecimalInput, percentMessage } from '@/utils/decimal';
import type { FieldMessage } from '@/utils/form-errors';
import { textOrNull } from '@/utils/text';

export interface SubscriptionFormModel {
  customer_id: number | null;
  plan_id: number | null;
  effective_from: string | undefined;
  /** blank = open-ended */
  effective_to: string | undefined;
  /** percent, "0".."100" with up to 2 decimals */
  discount_percent: string;
  remark: string;
}

export type SubscriptionField = keyof SubscriptionFormModel;

export function emptySubscriptionModel(): SubscriptionFormModel {
  return {
    customer_id: null,
    plan_id: null,
    effective_from: undefined,
    effective_to: undefined,
    discount_percent: '0',
    remark: '',
  };
}

export function modelFromSubscription(subscription: SubscriptionPublic): SubscriptionFormModel {
  return {
    customer_id: subscription.customer_id,
    plan_id: subscription.plan_id,
    effective_from: subscription.effective_from,
    effective_to: subscription.effective_to ?? undefined,
    discount_percent: subscription.discount_percent,
    remark: subscription.remark ?? '',
  };
}

/** `POST /subscriptions`. */
export function toSubscriptionCreateBody(model: SubscriptionFormModel): SubscriptionCreate {
  const body: SubscriptionCreate = {
    customer_id: model.customer_id as number,
    plan_id: model.plan_id as number,
    effective_from: model.effective_from as string,
    discount_percent: normalizeDecimalInput(model.discount_percent) || '0',
  };
  if (model.effective_to) body.effective_to = model.effective_to;
  const remark = textOrNull(model.remark);
  if (remark) body.remark = remark;
  return body;
}

/** `PATCH /subscriptions/{id}`: only what differs; a cleared end date is null (open-ended again). */
export function toSubscriptionUpdateBody(
  model: SubscriptionFormModel,
  original: SubscriptionPublic,
): SubscriptionUpdate {
  const body: SubscriptionUpdate = {};
  const end = model.effective_to || null;
  if (end !== (original.effective_to ?? null)) body.effective_to = end;
  const discount = normalizeDecimalInput(model.discount_percent) || '0';
  if (compareDecimal(discount, original.discount_percent) !== 0) body.discount_percent = discount;
  const remark = textOrNull(model.remark);
  if (remark !== (original.remark ?? null)) body.remark = remark;
  return body;
}

/** What the backend would refuse, per field (dates compare as ISO strings). */
export function checkSubscription(
  model: SubscriptionFormModel,
  isEdit: boolean,
): Partial<Record<SubscriptionField, FieldMessage>> {
  const problems: Partial<Record<SubscriptionField, FieldMessage>> = {};
  const required: FieldMessage = { key: 'pricing.rule.required', params: {} };
  if (!isEdit) {
    if (!model.customer_id) problems.customer_id = required;
    if (!model.plan_id) problems.plan_id = required;
    if (!model.effective_from) problems.effective_from = required;
  }
  if (model.effective_from && model.effective_to && model.effective_to < model.effective_from) {
    problems.effective_to = { key: 'subscription.rule.endBeforeStart', params: {} };
  }
  const discount = percentMessage(model.discount_percent);
  if (discount) problems.discount_percent = discount;
  if (model.remark.trim().length > 255)
    problems.remark = { key: 'pricing.rule.maxLength', params: { max: 255 } };
  return problems;
}
