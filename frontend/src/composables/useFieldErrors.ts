import { getCurrentInstance, inject, provide, type InjectionKey } from 'vue';

/** The message under a form's field (by name), or none. */
export type FieldErrorOf = (field: string) => string | null | undefined;

const FIELD_ERRORS: InjectionKey<FieldErrorOf> = Symbol('field-errors');

/**
 * A form gives its fields their messages: each `form-field` with a `name` below the component
 * that calls this shows `fieldError(name)` (useFormDialog does it for its form).
 */
export function provideFieldErrors(fieldError: FieldErrorOf): void {
  if (getCurrentInstance()) provide(FIELD_ERRORS, fieldError); // a component's form, not a bare test scope
}

/** The messages of the form around a field (none outside such a form). */
export function useFieldErrors(): FieldErrorOf {
  return inject(FIELD_ERRORS, () => undefined);
}
