import { ref } from 'vue';
import { Message } from '@arco-design/web-vue';
import { toApiError } from '@/api/errors';

/**
 * An action on one row of a table (delete, restore, resend, health check…): `busyId` is the row's
 * id while the action runs (for its button's spinner), and a failure is shown as a message, never
 * thrown.
 */
export function useRowAction<R extends { id: number }, A extends unknown[] = []>(
  action: (row: R, ...args: A) => Promise<unknown>,
) {
  const busyId = ref<number | null>(null);

  async function run(row: R, ...args: A): Promise<void> {
    busyId.value = row.id;
    try {
      await action(row, ...args);
    } catch (error) {
      Message.error(toApiError(error).message);
    } finally {
      busyId.value = null;
    }
  }

  return { busyId, run };
}
