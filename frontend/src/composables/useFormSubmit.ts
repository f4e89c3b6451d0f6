import { ref } from 'vue';
import { toApiError, type ApiError } from '@/api/errors';
import type { FormErrors } from '@/utils/form-errors';
import { useLoading } from './useLoading';

/**
 * The submit side of a form that is checked in the browser and then by the backend:
 * `attempted` (the browser's problems show from the first submit on), `submitting`, and the
 * backend's errors, which `mapError` puts under the form's fields (`serverErrors`) or above the
 * form (`generalErrors`), usually with `mapApiError`. Call `reset()` when the form opens.
 */
export function useFormSubmit(mapError: (error: ApiError) => FormErrors) {
  const attempted = ref(false);
  const { loading: submitting, setLoading } = useLoading(false);
  const serverErrors = ref<Record<string, string>>({});
  const generalErrors = ref<string[]>([]);

  function reset(): void {
    attempted.value = false;
    serverErrors.value = {};
    generalErrors.value = [];
  }

  /**
   * One submit at a time: shows the browser's problems, clears the backend's errors and, when
   * `ready()` (nothing left to fix in the browser), runs `save`; its failure lands on the form.
   */
  async function submit(ready: () => boolean, save: () => Promise<void>): Promise<void> {
    if (submitting.value) return;
    attempted.value = true;
    serverErrors.value = {};
    generalErrors.value = [];
    if (!ready()) return;
    setLoading(true);
    try {
      await save();
    } catch (error) {
      const mapped = mapError(toApiError(error));
      serverErrors.value = mapped.fields;
      generalErrors.value = mapped.general;
    } finally {
      setLoading(false);
    }
  }

  /** The message under `field`: the browser's problem once the form was submitted, else the backend's. */
  function fieldError(field: string, problems: Partial<Record<string, string>>): string | undefined {
    return (attempted.value ? problems[field] : undefined) ?? serverErrors.value[field];
  }

  return { attempted, submitting, serverErrors, generalErrors, reset, submit, fieldError };
}
