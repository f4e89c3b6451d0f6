import { saveFile, type DownloadedFile } from '@/api/download';
import { useAction } from './useAction';

/**
 * A file download behind a button: `downloading` while the request runs (a second click meanwhile
 * does nothing), the file handed to the browser when it arrives, the API's message shown when it
 * fails (see `useAction`). `download` resolves to the file (or `undefined` after a failure) and
 * never throws.
 */
export function useDownload<TArgs extends unknown[]>(fetchFile: (...args: TArgs) => Promise<DownloadedFile>) {
  const { busy: downloading, run: download } = useAction(async (...args: TArgs) => {
    const file = await fetchFile(...args);
    saveFile(file);
    return file;
  });
  return { downloading, download };
}
