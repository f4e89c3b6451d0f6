import { shallowRef } from 'vue';

/**
 * The items of a list a page needs beside its table (the jobs for their titles, the channels for
 * a filter, the plans for a form): `items`, empty until they come and when they cannot be loaded
 * (the page still works without them), and `reload()`. Loaded at once unless `lazy`.
 */
export function useListItems<T>(fetch: () => Promise<{ items: T[] }>, { lazy = false } = {}) {
  const items = shallowRef<T[]>([]);

  async function reload(): Promise<void> {
    try {
      items.value = (await fetch()).items;
    } catch {
      items.value = [];
    }
  }

  if (!lazy) void reload();
  return { items, reload };
}
