import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '@/api/errors';
import { useDownload } from '@/composables/useDownload';

describe('useDownload', () => {
  const clicked: string[] = [];
  beforeEach(() => {
    clicked.length = 0;
    // the browser side of saving a file: a blob URL and a click on a download link
    URL.createObjectURL = vi.fn(() => 'blob:test');
    URL.revokeObjectURL = vi.fn();
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.download);
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('hands the file to the browser, shows downloading meanwhile and resolves to the file', async () => {
    let release!: () => void;
    const file = { blob: new Blob(['x']), filename: 'invoices.xlsx' };
    const fetchFile = vi.fn(
      (period: string) =>
        new Promise<typeof file>((resolve) => {
          release = () => resolve(file);
          void period;
        }),
    );
    const { downloading, download } = useDownload(fetchFile);

    const pending = download('2026-01');
    expect(downloading.value).toBe(true);
    release();
    expect(await pending).toBe(file);
    expect(downloading.value).toBe(false);
    expect(fetchFile).toHaveBeenCalledWith('2026-01');
    expect(clicked).toEqual(['invoices.xlsx']);
  });

  it('saves nothing and resolves to undefined when the request fails', async () => {
    const { downloading, download } = useDownload(() =>
      Promise.reject(new ApiError({ status: 403, code: 'forbidden', message: 'not allowed' })),
    );
    expect(await download()).toBeUndefined();
    expect(downloading.value).toBe(false);
    expect(clicked).toEqual([]);
  });
});
