import { computed, ref } from 'vue';
import type { FileItem } from '@arco-design/web-vue';

/**
 * One file picked with an `<a-upload :auto-upload="false">`: the upload's `fileList` (bind it),
 * the picked `file` (or null), `pick` for the upload's `change` event — the last file chosen
 * replaces the one before, and a file `accepts` refuses is not kept (`onRefused` says why) —
 * and `clear`.
 */
export function useSingleFile(accepts: (file: File) => boolean, onRefused: () => void) {
  const fileList = ref<FileItem[]>([]);
  const file = computed<File | null>(() => fileList.value[0]?.file ?? null);

  function pick(list: FileItem[]): void {
    const last = list[list.length - 1];
    if (last?.file && !accepts(last.file)) {
      onRefused();
      fileList.value = [];
      return;
    }
    fileList.value = last ? [last] : [];
  }

  function clear(): void {
    fileList.value = [];
  }

  return { fileList, file, pick, clear };
}
