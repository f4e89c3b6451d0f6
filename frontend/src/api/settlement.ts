/**
 * Settlement (`/allocations…`, `/customers/{id}/credit`): money of a payment or a credit note put on
 * an invoice, the automatic reconciliation, and what a customer has paid or been credited and not
 * yet allocated.
 *
 * Billing (invoices, credit notes) and payments (money received) both read these shapes; this
 * module imports neither of them, so the arrows run one way: billing -> settlement <- payments.
 * Amounts are decimal strings and stay strings.
 */
import http, { getData, getQuery, idempotent, postData } from './http';
import { type PageParams } from './params';
import type { IsoDateTime, Money, Page } from './types';

/** manual: lines chosen by hand; suggestion: a reconciliation suggestion applied as offered; auto: auto-reconcile */
export type AllocationSource = 'manual' | 'auto' | 'suggestion';

/** Schema `AllocationPublic`: money of a payment or a credit note put on an invoice. */
export interface AllocationPublic {
  id: number;
  payment_id: number | null;
  credit_note_id: number | null;
  invoice_id: number;
  invoice_number: string;
  customer_id: number;
  amount: Money;
  source: AllocationSource;
  is_reversed: boolean;
  reversed_at: IsoDateTime | null;
  reversed_by: string | null;
  reverse_reason: string | null;
  created_at: IsoDateTime;
  created_by: string | null;
}

/** Schema `AllocationPage`. */
export type AllocationPage = Page<AllocationPublic>;

export interface AllocationLine {
  invoice_id: number;
  amount: Money;
}

/** Body of `POST /allocations`: exactly one of `payment_id` and `credit_note_id`. */
export interface AllocationCreate {
  payment_id?: number | null;
  credit_note_id?: number | null;
  lines: AllocationLine[];
  /** 'suggestion' when the lines are a suggestion of the payment as offered (default manual) */
  source?: Exclude<AllocationSource, 'auto'>;
}

export interface AllocationResult {
  allocations: AllocationPublic[];
}

export interface AllocationListParams extends PageParams {
  payment_id?: number | null;
  invoice_id?: number | null;
  customer_id?: number | null;
  include_reversed?: boolean | null;
}

export interface AutoReconcileRequest {
  customer_id?: number | null;
  /** true: only say what would be allocated */
  dry_run?: boolean;
}

/** A single exact match found by the auto-reconcile (made, or would be on a dry run). */
export interface PlannedAllocation {
  payment_id: number;
  invoice_id: number;
  invoice_number: string;
  amount: Money;
}

export interface AutoReconcileResult {
  /** made (empty on a dry run) */
  allocations: AllocationPublic[];
  planned: PlannedAllocation[];
  /** payments looked at */
  considered: number;
  /** payments allocated (or that would be, on a dry run) */
  allocated: number;
  /** payments left for a person */
  waiting: number;
}

/** Schema `CustomerCredit`: what the customer has paid or been credited and not yet allocated. */
export interface CustomerCredit {
  customer_id: number;
  currency: string;
  payments_unallocated: Money;
  credit_notes_unallocated: Money;
  total: Money;
}

// --- requests ------------------------------------------------------------------------------------------------
/**
 * All lines or none; 409 when a line is more than the invoice's outstanding or the money left.
 * `idempotencyKey` (one per set of lines) makes a repeat answer the first allocations again.
 */
export function createAllocations(
  body: AllocationCreate,
  idempotencyKey?: string,
): Promise<AllocationResult> {
  return postData('/allocations', body, idempotent(idempotencyKey));
}

export function listAllocations(params: AllocationListParams = {}): Promise<AllocationPage> {
  return getQuery('/allocations', params);
}

/** The allocation stays, marked reversed; the invoice's outstanding and the payment's money come back. */
export function reverseAllocation(id: number, reason: string): Promise<AllocationPublic> {
  return postData(`/allocations/${id}/reverse`, { reason: reason.trim() });
}

/** Allocates the payments with one exact match (or, with `dry_run`, says which it would). */
export async function autoReconcile(body: AutoReconcileRequest = {}): Promise<AutoReconcileResult> {
  const clean: AutoReconcileRequest = {};
  if (body.customer_id) clean.customer_id = body.customer_id;
  if (body.dry_run !== undefined) clean.dry_run = body.dry_run;
  const { data } = await http.post<AutoReconcileResult>('/allocations/auto', clean);
  return data;
}

/** A soft-deleted customer's credit only with `includeDeleted` (`customers_deleted:read`), else 404. */
export function getCustomerCredit(customerId: number, includeDeleted = false): Promise<CustomerCredit> {
  return getData(
    `/customers/${customerId}/credit`,
    includeDeleted ? { params: { include_deleted: true } } : undefined,
  );
}
