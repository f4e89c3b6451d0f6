import { shallowRef } from 'vue';
import { ApiError, toApiError } from '@/api/errors';
import { useLoading } from './useLoading';

/**
 * Wraps an async API call with `loading`, `error` (always an ApiError) and `data` (the latest
 * call's result; `undefined` again once it failed, so old data never shows beside the error).
 * `run` never throws: it resolves to the result, or `undefined` when the call failed.
 * Only the latest call updates the state, so fast re-submits cannot race.
 */
export function useRequest<TArgs extends unknown[], TResult>(fn: (...args: TArgs) => Promise<TResult>) {
  const { loading, setLoading } = useLoading(false);
  const error = shallowRef<ApiError | null>(null);
  const data = shallowRef<TResult | undefined>(undefined);
  let latest = 0;

  async function run(...args: TArgs): Promise<TResult | undefined> {
    const id = ++latest;
    setLoading(true);
    error.value = null;
    try {
      const result = await fn(...args);
      if (id === latest) data.value = result;
      return result;
    } catch (caught) {
      if (id === latest) {
        error.value = toApiError(caught);
        data.value = undefined;
      }
      return undefined;
    } finally {
      if (id === latest) setLoading(false);
    }
  }

  return { loading, error, data, run };
}
