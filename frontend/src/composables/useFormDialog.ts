import { computed, isRef, reactive, ref, watch, type Ref } from 'vue';
import type { ApiError } from '@/api/errors';
import { t } from '@/locale';
import { messageWithDetails } from '@/utils/error-message';
import type { FieldMessage, FormErrors } from '@/utils/form-errors';
import { provideFormFields } from './useFormFields';
import { useFormSubmit } from './useFormSubmit';

/** A field's problem found in the browser: a locale message, a text already translated, or none. */
export type FieldProblem = FieldMessage | string | null | undefined;

export interface FormDialogOptions<M extends object, R> {
  /**
   * whether the dialog is open (the form starts afresh each time it opens): the dialog's
   * `defineModel('visible')`, closed once saved, or a getter (then `close` closes it)
   */
  visible: Ref<boolean> | (() => boolean);
  /** the record being edited, null (or left out) for a new one; another record while open starts afresh too */
  record?: () => R | null;
  /** what else starts the form afresh when it changes while open (a mode, the version to start from) */
  also?: () => unknown;
  /** the form's values for the record, or a new record's defaults when it is null */
  model: (record: R | null) => M;
  /**
   * the backend's refusal put under the form's fields and above the form (`mapApiError`,
   * `mapFieldErrors`); left out, the whole message (with its details) goes above the form
   */
  mapError?: (error: ApiError) => FormErrors;
  /**
   * A refusal shown in an alert of its own above the form (its message, e.g. a duplicate or an
   * overlap): the messages it puts under fields, or null when the error is not such a refusal.
   */
  conflict?: (error: ApiError) => Record<string, string> | null;
  /** the text of the conflict's alert (default: the error's message) */
  conflictText?: (error: ApiError) => string;
  /** the browser's problems by field; the form is saved only when there is none */
  problems?: (model: M) => Partial<Record<string, FieldProblem>>;
  /** problems shown under their fields as soon as they are typed (e.g. text that is not JSON), not once submitted */
  live?: (model: M) => Partial<Record<string, FieldProblem>>;
  /** what else starts afresh when the form opens (an Idempotency-Key, a conflict shown) */
  onOpen?: () => void;
  /** the `data-testid` of each named field's form item (e.g. `field-${name}`) */
  fieldTestid?: (field: string) => string;
  /** closes the dialog once saved (`emit('update:visible', false)`); by default `visible` is set to false */
  close?: () => void;
  /**
   * what the dialog's submit button saves (`dialog`'s `onSubmit`): the form's model, given the
   * record being edited; the record as saved, for `saved`, or null when there is nothing to tell
   */
  save?: (model: M, record: R | null) => Promise<R | null | void>;
  /** told what was saved and whether it was created (`emit('saved', record, created)`) */
  saved?: (record: R, created: boolean) => void;
  /** the dialog stays open once saved, to show what came of it (a run, an upload) */
  stayOpen?: boolean;
  /** what else must hold, besides no problem left, for the form to be saved */
  ready?: () => boolean;
}

/**
 * The life of a form in a dialog: its model, filled from `model(record)` each time the dialog opens
 * (or the record changes while open), the browser's problems translated, the message under each
 * field (the browser's once submitted, else the backend's), and `submit(save)`: one at a time, only
 * without problems, the backend's errors on the fields, the dialog closed once saved.
 */
export function useFormDialog<M extends object, R = never>(options: FormDialogOptions<M, R>) {
  const visible = options.visible;
  const isOpen = (): boolean => (isRef(visible) ? visible.value : visible());
  const close = (): void => {
    if (options.close) options.close();
    else if (isRef(visible)) visible.value = false;
  };
  const model = reactive(options.model(null)) as M;
  /** the message of the last refusal `conflict` recognised; cleared when the form opens or is submitted */
  const conflict = ref('');
  const form = useFormSubmit((error) => {
    const fields = options.conflict?.(error);
    if (!fields) return options.mapError?.(error) ?? { fields: {}, general: [messageWithDetails(error)] };
    conflict.value = options.conflictText?.(error) ?? error.message;
    return { fields, general: [] };
  });
  const record = (): R | null => options.record?.() ?? null;
  const isEdit = computed(() => record() !== null);

  watch(
    () => [isOpen(), record(), options.also?.()] as const,
    ([open, current]) => {
      if (!open) return;
      Object.assign(model, options.model(current));
      conflict.value = '';
      options.onOpen?.();
      form.reset();
    },
    { immediate: true },
  );

  /** field → the problem's text, only the fields that have one */
  const texts = (found: Partial<Record<string, FieldProblem>> = {}): Record<string, string> =>
    Object.fromEntries(
      Object.entries(found).flatMap(([field, problem]) =>
        problem ? [[field, typeof problem === 'string' ? problem : t(problem.key, problem.params)]] : [],
      ),
    );
  const liveProblems = computed(() => texts(options.live?.(model)));
  const problems = computed(() => ({ ...texts(options.problems?.(model)), ...liveProblems.value }));

  /**
   * The message under `field`: a live problem at once, the browser's other problems once the form
   * was submitted, else the backend's.
   */
  function fieldError(field: string): string | undefined {
    return liveProblems.value[field] ?? form.fieldError(field, problems.value);
  }
  provideFormFields({ error: fieldError, testid: options.fieldTestid });

  /** Saves when `ready()` (by default: no problem left) and closes the dialog; a refusal lands on the form. */
  function submit(
    save: () => Promise<void>,
    ready: () => boolean = () => Object.keys(problems.value).length === 0 && (options.ready?.() ?? true),
  ): Promise<void> {
    if (!form.submitting.value) conflict.value = '';
    return form.submit(ready, async () => {
      await save();
      if (!options.stayOpen) close();
    });
  }

  /** `save` the record being edited, then tell `saved` of the result */
  function onSubmit(): Promise<void> {
    return submit(async () => {
      const current = record();
      const result = await options.save?.(model, current);
      if (result) options.saved?.(result, current === null);
    });
  }

  /**
   * what form-dialog takes from the form (`v-bind="dialog"`): open or not, the model of the form
   * it holds, submitting, the messages and the conflict above the form, closing, and (with
   * `save`) the submit
   */
  const dialog = computed(() => ({
    visible: isOpen(),
    model,
    submitting: form.submitting.value,
    errors: form.generalErrors.value,
    conflict: conflict.value,
    'onUpdate:visible': (open: boolean) => {
      if (!open) close();
    },
    ...(options.save ? { onSubmit } : {}),
  }));

  return {
    dialog,
    model,
    isEdit,
    problems,
    fieldError,
    submit,
    attempted: form.attempted,
    submitting: form.submitting,
    conflict,
    serverErrors: form.serverErrors,
    generalErrors: form.generalErrors,
  };
}

/**
 * Creates the record, or sends only what changed of the one being edited (nothing when nothing
 * did): the record as the backend saved it, or null when there was nothing to send.
 */
export async function createOrPatch<R extends { id: number }, B extends object>(
  original: R | null,
  create: () => Promise<R>,
  changes: (original: R) => B,
  patch: (id: number, body: B) => Promise<R>,
): Promise<R | null> {
  if (!original) return create();
  const body = changes(original);
  return Object.keys(body).length ? patch(original.id, body) : null;
}

/**
 * A create-or-edit form's `save`: creates the record from the form's model, or sends only what
 * `changes(model, record)` finds changed (see `createOrPatch`).
 */
export function saveRecord<M, R extends { id: number }, B extends object>(
  create: (model: M) => Promise<R>,
  changes: (model: M, original: R) => B,
  patch: (id: number, body: B) => Promise<R>,
): (model: M, record: R | null) => Promise<R | null> {
  return (model, record) =>
    createOrPatch(
      record,
      () => create(model),
      (original) => changes(model, original),
      patch,
    );
}
