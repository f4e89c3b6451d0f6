/**
 * The filters of a list page in one line each: `filter.select('status', 'invoice.field.status',
 * options, { span: 4 })`. `list-page` draws them (`fields`).
 */
import type { FilterDescriptor, FilterExtras } from '@/types/filter';
import type { Option } from '@/types/option';

type Kind = FilterDescriptor['kind'];

function described<K extends Exclude<Kind, 'select'>>(kind: K) {
  return (field: string, label: string, extras?: FilterExtras<K>): FilterDescriptor =>
    ({ field, label, kind, ...extras }) as FilterDescriptor;
}

export const filter = {
  text: described('text'),
  switch: described('switch'),
  /** YYYY-MM-DD */
  date: described('date'),
  /** [from, to] as YYYY-MM-DD */
  dates: described('dates'),
  /** YYYY-MM */
  month: described('month'),
  number: described('number'),
  customer: described('customer'),
  owner: described('owner'),
  /** drawn by the page in the list page's slot `filter-<field>` */
  slot: described('slot'),
  select: (
    field: string,
    label: string,
    options: Option<string | number>[],
    extras?: Omit<FilterExtras<'select'>, 'options'>,
  ): FilterDescriptor => ({ field, label, kind: 'select', options, ...extras }),
};
