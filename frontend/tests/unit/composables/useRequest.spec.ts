import { describe, expect, it } from 'vitest';
import { ApiError } from '@/api/errors';
import { useRequest } from '@/composables/useRequest';

describe('useRequest', () => {
  it('keeps the latest result and drops it when a later call fails', async () => {
    let fail = false;
    const request = useRequest(async (n: number) => {
      if (fail) throw new ApiError({ status: 503, code: 'http_503', message: 'down' });
      return n * 2;
    });
    expect(await request.run(2)).toBe(4);
    expect(request.data.value).toBe(4);
    expect(request.error.value).toBeNull();

    fail = true;
    expect(await request.run(3)).toBeUndefined();
    expect(request.data.value).toBeUndefined();
    expect(request.error.value?.message).toBe('down');
    expect(request.loading.value).toBe(false);
  });
});
