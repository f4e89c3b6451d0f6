import { describe, expect, it, vi } from 'vitest';
import { Message } from '@arco-design/web-vue';
import { useAction } from '@/composables/useAction';

describe('useAction', () => {
  it('is busy while it runs, ignores a second click meanwhile, and gives the result', async () => {
    let finish: (value: string) => void = () => undefined;
    const calls: number[] = [];
    const action = useAction((n: number) => {
      calls.push(n);
      return new Promise<string>((resolve) => (finish = resolve));
    });
    const running = action.run(1);
    expect(action.busy.value).toBe(true);
    expect(await action.run(2)).toBeUndefined();
    finish('printed');
    expect(await running).toBe('printed');
    expect(action.busy.value).toBe(false);
    expect(calls).toEqual([1]);
  });

  it('shows a failure as a message and resolves to undefined', async () => {
    const error = vi.spyOn(Message, 'error').mockImplementation(() => ({ close: () => undefined }));
    const action = useAction(() => Promise.reject(new Error('refused')));
    expect(await action.run()).toBeUndefined();
    expect(error).toHaveBeenCalledOnce();
    expect(action.busy.value).toBe(false);
    error.mockRestore();
  });
});
