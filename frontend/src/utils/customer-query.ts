import type { LocationQuery, LocationQueryRaw } from 'vue-router';

/**
 * A customer passed between pages in the URL (`?customer_id=12&customer=C001 · 某某公司`), so a
 * link from a customer's page opens a list already filtered to that customer, with its label.
 */
export interface CustomerFromQuery {
  id: number | null;
  label: string | null;
}

export function customerFromQuery(query: LocationQuery): CustomerFromQuery {
  const id = Number(query.customer_id);
  const label = typeof query.customer === 'string' && query.customer ? query.customer : null;
  return Number.isInteger(id) && id > 0 ? { id, label } : { id: null, label: null };
}

/** How a customer is named in pickers and links: "C001 · 某某公司". */
export function customerLabel(customer: { customer_code: string; company_name: string }): string {
  return `${customer.customer_code} · ${customer.company_name}`;
}

export function customerQuery(customer: {
  id: number;
  customer_code: string;
  company_name: string;
}): LocationQueryRaw {
  return { customer_id: String(customer.id), customer: customerLabel(customer) };
}
