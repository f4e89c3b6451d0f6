import type { Option } from './option';

/**
 * One filter of a list page, described in one line of the page's script (see `filter` in
 * `@/utils/filters`) and drawn by `list-page` (`fields`): `field` is the key in the filter model,
 * `label` and `placeholder` are locale keys.
 */
interface FilterBase {
  field: string;
  label: string;
  /** the width (of 24) on large screens; default 6 */
  span?: number;
  /** the width on small screens; default 12 */
  sm?: number;
  placeholder?: string;
  /** `data-testid` of the control (default `<filter prefix>-<field>`, without `_id`, `_` as `-`) */
  testid?: string;
  /** a message shown under the control as an error (already translated) */
  error?: string | null;
  disabled?: boolean;
}

export type FilterDescriptor = FilterBase &
  (
    | { kind: 'text' }
    /** `required`: always a value (no clear button) */
    | { kind: 'select'; options: Option<string | number>[]; search?: boolean; required?: boolean }
    | { kind: 'switch' }
    /** YYYY-MM-DD */
    | { kind: 'date' }
    /** [from, to] as YYYY-MM-DD */
    | { kind: 'dates' }
    /** YYYY-MM */
    | { kind: 'month' }
    /** a whole number; `suffix` is a locale key */
    | { kind: 'number'; min?: number; max?: number; suffix?: string }
    /** `customerLabel`: the label of a customer given by a link, before any search */
    | { kind: 'customer'; customerLabel?: string | null }
    /** the owners of `useCustomerOptions`; `allowNone` offers "no owner" */
    | { kind: 'owner'; allowNone?: boolean }
    /** drawn by the page in the list page's slot `filter-<field>` */
    | { kind: 'slot' }
  );

/** What a descriptor may say besides its field, label and kind. */
export type FilterExtras<K extends FilterDescriptor['kind']> = Omit<
  Extract<FilterDescriptor, { kind: K }>,
  'field' | 'label' | 'kind'
>;
