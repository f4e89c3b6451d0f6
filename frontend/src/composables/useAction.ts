import { ref } from 'vue';
import { Message } from '@arco-design/web-vue';
import { toApiError } from '@/api/errors';

/**
 * A button's action that is not about a table row (print, retry, delete the record on a detail
 * page…): `busy` while it runs, for the button's spinner; a second click while it runs does
 * nothing; a failure is shown as a message, never thrown. `run` resolves to the action's result,
 * or `undefined` when it failed, so the caller can go on only after a success.
 */
export function useAction<A extends unknown[], T>(action: (...args: A) => Promise<T>) {
  const busy = ref(false);

  async function run(...args: A): Promise<T | undefined> {
    if (busy.value) return undefined;
    busy.value = true;
    try {
      return await action(...args);
    } catch (error) {
      Message.error(toApiError(error).message);
      return undefined;
    } finally {
      busy.value = false;
    }
  }

  return { busy, run };
}
