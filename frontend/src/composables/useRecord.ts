import { computed, ref, watch, type Ref } from 'vue';
import { useRoute } from 'vue-router';
import { toApiError } from '@/api/errors';
import { useLoading } from './useLoading';
import { usePoll } from './usePoll';

export interface RecordOptions<R> {
  /** Called with each record put on screen. */
  onLoaded?: (record: R) => void | Promise<void>;
  /**
   * Follow live work: while `while(record)`, the record is loaded again every `ms`, quietly (no
   * spinner; a failure keeps what is shown and tries again after twice as long).
   */
  follow?: { while: (record: R) => boolean; ms: number };
}

/**
 * The record of a detail page, by the route's `:id`: loaded now and whenever the id changes.
 * `error` is the failed load's message ('' when none): `notFound()` for a 404 or an id that is not
 * a positive whole number. A failed load clears the record, so the page shows the 404 frame.
 * `frame` is what `detail-page` needs of it (`<detail-page v-bind="frame" …>`).
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
  const follow = options.follow;
  const poll = follow ? usePoll(follow.ms) : null;

  async function loadRecord(quiet: boolean): Promise<void> {
    poll?.stop();
    const asked = id.value;
    if (!Number.isInteger(asked) || asked < 1) {
      record.value = null;
      error.value = notFound();
      return;
    }
    if (!quiet) setLoading(true);
    error.value = '';
    let answer: R;
    try {
      answer = await fetch(asked);
      if (asked !== id.value) return;
      record.value = answer;
    } catch (caught) {
      if (asked !== id.value) return;
      if (quiet && follow && record.value !== null) {
        poll?.again(() => loadRecord(true), follow.ms * 2);
        return;
      }
      const apiError = toApiError(caught);
      error.value = apiError.status === 404 ? notFound() : apiError.message;
      record.value = null;
      return;
    } finally {
      if (asked === id.value) setLoading(false);
    }
    if (follow?.while(answer)) poll?.again(() => loadRecord(true));
    await options.onLoaded?.(answer);
  }

  const load = (): Promise<void> => loadRecord(false);
  watch(id, () => void load(), { immediate: true });
  const frame = computed(() => ({
    loading: loading.value,
    error: error.value,
    found: record.value !== null,
  }));
  return { id, record, loading, error, load, frame };
}
