/**
 * Analytics (`/analytics/dashboard`, `/analytics/aging…`, `/customers/{id}/analytics`), read with
 * `analytics:read` (every role). The answers are typed in `@/types/analytics`; amounts stay
 * strings. The owner of a board is `all`, `me` or a user id (operators: `me` only).
 */
import http, { getData, getQuery } from './http';
import { blobRequest, toDownloadedFile, type DownloadedFile } from './download';
import { cleanParams } from './params';
import type { IsoDate } from './types';
import type {
  AgingCustomerInvoices,
  AgingFilters,
  AgingParams,
  AgingReportPage,
  CustomerAnalytics,
  Dashboard,
  DashboardParams,
} from '@/types/analytics';

export type * from '@/types/analytics';

/** The board of a range (default: this month to date) for an owner. */
export function getDashboard(params: DashboardParams = {}): Promise<Dashboard> {
  return getQuery('/analytics/dashboard', { from: params.from, to: params.to, owner: params.owner });
}

/** Only the parameters the aging report knows (it refuses others), blanks left out. */
export function agingQuery(params: AgingParams, withPaging = true): Record<string, string | number> {
  const { as_of, owner, customer_id, sort, page, page_size } = params;
  const filters = { as_of, owner, customer_id };
  return cleanParams(withPaging ? { ...filters, sort, page, page_size } : filters);
}

/** One page of the per-customer aging report, with the buckets and totals of all customers. */
export function getAging(params: AgingParams = {}): Promise<AgingReportPage> {
  return getData('/analytics/aging', { params: agingQuery(params) });
}

/** The same report (same filters, every customer) as an .xlsx workbook. */
export async function exportAging(filters: AgingFilters = {}): Promise<DownloadedFile> {
  const response = await http.get<Blob>(
    '/analytics/aging.xlsx',
    blobRequest({ params: agingQuery(filters, false) }),
  );
  return toDownloadedFile(response, `aging-${filters.as_of ?? 'today'}.xlsx`);
}

/** The open invoices of one customer behind its row of the report. */
export function getAgingInvoices(customerId: number, asOf?: IsoDate | null): Promise<AgingCustomerInvoices> {
  return getData(`/analytics/aging/customers/${customerId}/invoices`, {
    params: cleanParams({ as_of: asOf }),
  });
}

/** A customer's usage, billing and payment behaviour by day and month, and its latest scores. */
export function getCustomerAnalytics(id: number): Promise<CustomerAnalytics> {
  return getData(`/customers/${id}/analytics`);
}
