import { computed, ref, watch, type Ref } from 'vue';
import { useRoute } from 'vue-router';
import { toApiError } from '@/api/errors';
import { useLoading } from './useLoading';

export interface RecordOptions<R> {
  /** Called with each record put on screen. */
  onLoaded?: (record: R) => void | Promise<void>;
}

/**
 * The record of a detail page, by the route's `:id`: loaded now and whenever the id changes.
 * `error` is the failed load's message ('' when none): `notFound()` for a 404 or an id that is not
 * a positive whole number. A failed load clears the record, so the page shows the 404 frame.
 */
export function useRecord<R>(
  fetch: (id: number) => Promise<R>,
  notFound: () => string,
  options: RecordOptions<R> = {},
) {
  const route = useRoute();
  const id = computed(() => Number(route.params.id));
  const record = ref(null) as Ref<R | null>;
  const { loading, setLoading } = useLoading(false);
  const error = ref('');

  async function load(): Promise<void> {
    if (!Number.isInteger(id.value) || id.value < 1) {
      record.value = null;
      error.value = notFound();
      return;
    }
    setLoading(true);
    error.value = '';
    let answer: R;
    try {
      answer = await fetch(id.value);
      record.value = answer;
    } catch (caught) {
      const apiError = toApiError(caught);
      error.value = apiError.status === 404 ? notFound() : apiError.message;
      record.value = null;
      return;
    } finally {
      setLoading(false);
    }
    await options.onLoaded?.(answer);
  }

  watch(id, () => void load(), { immediate: true });
  return { id, record, loading, error, load };
}
