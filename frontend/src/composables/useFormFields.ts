import { getCurrentInstance, inject, provide, type InjectionKey } from 'vue';

/** What a form tells its named fields: each one's message, and (when the form names them so) its test id. */
export interface FormFields {
  /** the message under the field, or none */
  error: (field: string) => string | null | undefined;
  /** the form item's `data-testid` (none: the field says it, if at all) */
  testid?: (field: string) => string;
}

const FORM_FIELDS: InjectionKey<FormFields> = Symbol('form-fields');

/**
 * A form gives its fields their messages (and test ids): each `form-field` with a `name` below
 * the component that calls this shows `error(name)` (useFormDialog does it for its form).
 */
export function provideFormFields(fields: FormFields): void {
  if (getCurrentInstance()) provide(FORM_FIELDS, fields); // a component's form, not a bare test scope
}

/** What the form around a field tells it (nothing outside such a form). */
export function useFormFields(): FormFields {
  return inject(FORM_FIELDS, { error: () => undefined });
}
