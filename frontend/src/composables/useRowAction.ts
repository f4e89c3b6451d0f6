import { ref } from 'vue';
import { Message } from '@arco-design/web-vue';
import { toApiError } from '@/api/errors';

export interface RowActionOptions<R> {
  /** the message once it has worked */
  success?: (row: R) => string;
  /** what follows once it has worked (e.g. the list loaded again) */
  after?: () => unknown;
}

/**
 * An action on one row of a table (delete, restore, resend, health check…): `busyId` is the row's
 * id while the action runs (for its button's spinner), and a failure is shown as a message, never
 * thrown; a success says `success(row)` and runs `after()`.
 */
export function useRowAction<R extends { id: number }, A extends unknown[] = []>(
  action: (row: R, ...args: A) => Promise<unknown>,
  options: RowActionOptions<R> = {},
) {
  const busyId = ref<number | null>(null);

  async function run(row: R, ...args: A): Promise<void> {
    busyId.value = row.id;
    try {
      await action(row, ...args);
      if (options.success) Message.success(options.success(row));
      void options.after?.();
    } catch (error) {
      Message.error(toApiError(error).message);
    } finally {
      busyId.value = null;
    }
  }

  return { busyId, run };
}
