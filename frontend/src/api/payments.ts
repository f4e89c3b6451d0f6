/**
 * Payments (`/payments…`): money received, voided, assigned to a customer, and the suggestions
 * of where to put it (allocations and customer credit are `./settlement`).
 *
 * The types mirror the backend's schemas of the issue 6 contract (backend/opcms/payments/).
 * Amounts are decimal strings and stay strings. A payment is recorded with an `Idempotency-Key`
 * made once per opened form, so a double click or a retried request records it once.
 */
import { getData, getQuery, idempotent, patchData, postData } from './http';
import { type PageParams } from './params';
import type { AllocationPublic } from './settlement';
import type { IsoDate, IsoDateTime, Money, Page, Period } from './types';

export const PAYMENT_METHODS = ['bank_transfer', 'cash', 'cheque', 'online'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export const PAYMENT_STATUSES = ['unallocated', 'partially_allocated', 'allocated', 'void'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
/** Schema `PaymentPublic`. */
export interface PaymentPublic {
  id: number;
  /** null while the payer is not known */
  customer_id: number | null;
  customer_code: string | null;
  company_name: string | null;
  amount: Money;
  currency: string;
  received_on: IsoDate;
  method: PaymentMethod;
  payer_name: string | null;
  bank_reference: string | null;
  remark: string | null;
  allocated_amount: Money;
  unallocated_amount: Money;
  status: PaymentStatus;
  /** set when the payment was voided (entered by mistake) */
  voided_at?: IsoDateTime | null;
  voided_by?: string | null;
  void_reason?: string | null;
  created_at: IsoDateTime;
  created_by: string | null;
}

/** Schema `PaymentPage`. */
export type PaymentPage = Page<PaymentPublic>;

/** Schema `PaymentDetail`. */
export interface PaymentDetail extends PaymentPublic {
  allocations: AllocationPublic[];
}

/** Schema `PaymentCreate`. */
export interface PaymentCreate {
  customer_id?: number | null;
  /** > 0 */
  amount: Money;
  received_on: IsoDate;
  method: PaymentMethod;
  payer_name?: string | null;
  bank_reference?: string | null;
  remark?: string | null;
}

export interface PaymentListParams extends PageParams {
  customer_id?: number | null;
  status?: PaymentStatus | null;
  method?: PaymentMethod | null;
  received_from?: IsoDate | null;
  received_to?: IsoDate | null;
  /** payer name, bank reference, customer code or name */
  q?: string | null;
  /** only payments without a customer */
  unassigned?: boolean | null;
}

// --- suggestions ------------------------------------------------------------------------------------------
export interface CustomerCandidate {
  customer_id: number;
  customer_code: string;
  company_name: string;
  short_name: string | null;
  /** 0..100 */
  score: number;
  reason: string;
}

export const SUGGESTION_KINDS = ['exact', 'combination', 'fifo'] as const;
export type SuggestionKind = (typeof SUGGESTION_KINDS)[number];

export interface SuggestedInvoice {
  invoice_id: number;
  number: string;
  period: Period;
  due_date: IsoDate;
  outstanding: Money;
  /** what the suggestion puts on it */
  amount: Money;
}

export interface Suggestion {
  kind: SuggestionKind;
  invoices: SuggestedInvoice[];
  total: Money;
  reason: string;
}

/** Schema `PaymentSuggestions`. */
export interface PaymentSuggestions {
  payment_id: number;
  unallocated_amount: Money;
  customer_candidates: CustomerCandidate[];
  suggestions: Suggestion[];
}

// --- requests ------------------------------------------------------------------------------------------------
/**
 * Records a payment. `idempotencyKey` (one per opened form) makes a repeat of the same request
 * answer the first payment again; 409 for a (method, bank reference) already recorded.
 */
export function createPayment(body: PaymentCreate, idempotencyKey?: string): Promise<PaymentPublic> {
  return postData('/payments', paymentBody(body), idempotent(idempotencyKey));
}

/** Voids a payment entered by mistake (kept, marked void); 409 while any of it is allocated. */
export function voidPayment(id: number, reason: string): Promise<PaymentPublic> {
  return postData(`/payments/${id}/void`, { reason: reason.trim() });
}

/** Assigns the customer of a payment received without one; 409 once any of it is allocated. */
export function assignPaymentCustomer(id: number, customerId: number): Promise<PaymentPublic> {
  return patchData(`/payments/${id}`, { customer_id: customerId });
}

export function listPayments(params: PaymentListParams = {}): Promise<PaymentPage> {
  return getQuery('/payments', params);
}

export function getPayment(id: number): Promise<PaymentDetail> {
  return getData(`/payments/${id}`);
}

export function getPaymentSuggestions(id: number): Promise<PaymentSuggestions> {
  return getData(`/payments/${id}/suggestions`);
}

/** The body without blank optional fields (texts trimmed). */
export function paymentBody(body: PaymentCreate): PaymentCreate {
  const clean: PaymentCreate = {
    amount: body.amount.trim(),
    received_on: body.received_on,
    method: body.method,
  };
  if (body.customer_id) clean.customer_id = body.customer_id;
  for (const key of ['payer_name', 'bank_reference', 'remark'] as const) {
    const text = body[key]?.trim();
    if (text) clean[key] = text;
  }
  return clean;
}
