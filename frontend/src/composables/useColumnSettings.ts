import { computed, ref, watch, type Ref } from 'vue';
import type { TableColumnData } from '@arco-design/web-vue';

const STORAGE_PREFIX = 'opcms.columns.';

/** The key a column is remembered by: its data field, else its slot, else its title. */
export function columnKey(column: TableColumnData): string {
  return String(column.dataIndex ?? column.slotName ?? column.title ?? '');
}

function readHidden(key: string): string[] {
  try {
    const stored = JSON.parse(globalThis.localStorage?.getItem(STORAGE_PREFIX + key) ?? '[]');
    return Array.isArray(stored) ? stored.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return []; // unreadable or unavailable storage: every column shown
  }
}

/**
 * Which columns of a table are shown, remembered per table in localStorage
 * (`opcms.columns.<key>`: the keys of the hidden columns). Only titled columns can be hidden, and
 * never the last one shown.
 */
export function useColumnSettings(storageKey: string, columns: Ref<TableColumnData[]>) {
  const hidden = ref<string[]>(readHidden(storageKey));
  const choices = computed(() =>
    columns.value
      .filter((column) => column.title)
      .map((column) => ({ key: columnKey(column), title: String(column.title) })),
  );
  const shown = computed(() => columns.value.filter((column) => !hidden.value.includes(columnKey(column))));

  function isShown(key: string): boolean {
    return !hidden.value.includes(key);
  }

  function setShown(key: string, show: boolean): void {
    if (show) hidden.value = hidden.value.filter((item) => item !== key);
    else if (isShown(key) && choices.value.filter((choice) => isShown(choice.key)).length > 1)
      hidden.value = [...hidden.value, key];
  }

  function showAll(): void {
    hidden.value = [];
  }

  watch(hidden, (value) => {
    try {
      if (value.length) globalThis.localStorage?.setItem(STORAGE_PREFIX + storageKey, JSON.stringify(value));
      else globalThis.localStorage?.removeItem(STORAGE_PREFIX + storageKey);
    } catch {
      // storage unavailable (privacy mode): the choice lasts until the page is left
    }
  });

  return { shown, choices, isShown, setShown, showAll };
}
