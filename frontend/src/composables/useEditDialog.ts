import { ref, shallowRef } from 'vue';
import { Message } from '@arco-design/web-vue';

/**
 * The create-or-edit dialog of a list: `visible`, and `editing` (the row being edited, null for a
 * new one), opened by `openCreate()` or `openEdit(row)`. `saved(row, created)` (the dialog's
 * `@saved`) says `savedMessage(row, created)` and shows the change (`show`: reload the list or
 * put the saved row in place).
 */
export function useEditDialog<R>(
  show: (row: R) => unknown,
  savedMessage: (row: R, created: boolean) => string,
) {
  const visible = ref(false);
  const editing = shallowRef<R | null>(null);

  function openCreate(): void {
    editing.value = null;
    visible.value = true;
  }

  function openEdit(row: R): void {
    editing.value = row;
    visible.value = true;
  }

  function saved(row: R, created = false): void {
    Message.success(savedMessage(row, created));
    void show(row);
  }

  return { visible, editing, openCreate, openEdit, saved };
}
