import { shallowReactive } from 'vue';

/**
 * A dialog or drawer a list page opens for one of its rows (a preview, the versions, the accounts,
 * a message): `visible` (for `v-model:visible`), `current` (the row it was opened for, null before)
 * and `open(row)`.
 */
export function useListDialog<R>() {
  const dialog = shallowReactive({
    visible: false,
    current: null as R | null,
    open(row: R): void {
      dialog.current = row;
      dialog.visible = true;
    },
  });
  return dialog;
}
