import { ref } from 'vue';
import { Message } from '@arco-design/web-vue';
import { saveFile, type DownloadedFile } from '@/api/download';
import { toApiError } from '@/api/errors';

/**
 * A file download behind a button: `downloading` while the request runs, the file handed to the
 * browser when it arrives, the API's message shown when it fails. `download` resolves to the
 * file (or `undefined` after a failure) and never throws.
 */
export function useDownload<TArgs extends unknown[]>(fetchFile: (...args: TArgs) => Promise<DownloadedFile>) {
  const downloading = ref(false);

  async function download(...args: TArgs): Promise<DownloadedFile | undefined> {
    downloading.value = true;
    try {
      const file = await fetchFile(...args);
      saveFile(file);
      return file;
    } catch (error) {
      Message.error(toApiError(error).message);
      return undefined;
    } finally {
      downloading.value = false;
    }
  }

  return { downloading, download };
}
