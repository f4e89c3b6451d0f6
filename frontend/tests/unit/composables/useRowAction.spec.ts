import { describe, expect, it, vi } from 'vitest';
import { Message } from '@arco-design/web-vue';
import { useRowAction } from '@/composables/useRowAction';

describe('useRowAction', () => {
  it('spins on the row while it runs, then says so and runs what follows', async () => {
    const success = vi.spyOn(Message, 'success').mockImplementation(() => ({ close: () => undefined }));
    const after = vi.fn();
    let finish: () => void = () => undefined;
    const action = useRowAction<{ id: number }>(() => new Promise<void>((resolve) => (finish = resolve)), {
      success: (row) => `deleted ${row.id}`,
      after,
    });
    const running = action.run({ id: 7 });
    expect(action.busyId.value).toBe(7);
    finish();
    await running;
    expect(action.busyId.value).toBeNull();
    expect(success).toHaveBeenCalledWith('deleted 7');
    expect(after).toHaveBeenCalledOnce();
    success.mockRestore();
  });

  it('shows a failure as a message, without the success or what follows', async () => {
    const error = vi.spyOn(Message, 'error').mockImplementation(() => ({ close: () => undefined }));
    const success = vi.spyOn(Message, 'success');
    const after = vi.fn();
    const action = useRowAction(() => Promise.reject(new Error('refused')), { success: () => 'done', after });
    await action.run({ id: 1 });
    expect(error).toHaveBeenCalledOnce();
    expect(success).not.toHaveBeenCalled();
    expect(after).not.toHaveBeenCalled();
    expect(action.busyId.value).toBeNull();
    error.mockRestore();
    success.mockRestore();
  });
});
