import { ref } from 'vue';
import { Modal } from '@arco-design/web-vue';
import { useRowAction } from './useRowAction';

interface Health {
  ok: boolean;
  detail: string;
}

/**
 * The health check of a row (a data source, a notification channel): runs `check(row)`, keeps
 * each row's last answer (`results`, for its dot in the table) and shows it in a success or
 * warning dialog titled `title(row, ok)`; `busyId` and `run` as in `useRowAction`.
 */
export function useHealthCheck<R extends { id: number }, H extends Health>(
  check: (row: R) => Promise<H>,
  title: (row: R, ok: boolean) => string,
  content: (result: H) => string = (result) => result.detail || '-',
) {
  const results = ref<Record<number, H>>({});
  const action = useRowAction(async (row: R) => {
    const result = await check(row);
    results.value = { ...results.value, [row.id]: result };
    Modal[result.ok ? 'success' : 'warning']({ title: title(row, result.ok), content: content(result) });
  });
  return { results, ...action };
}
