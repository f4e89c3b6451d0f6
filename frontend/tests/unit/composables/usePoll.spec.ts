import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h } from 'vue';
import { mount } from '@vue/test-utils';
import { usePoll } from '@/composables/usePoll';

function mounted() {
  let poll!: ReturnType<typeof usePoll>;
  const wrapper = mount(
    defineComponent({
      setup() {
        poll = usePoll(3000);
        return () => h('div');
      },
    }),
  );
  return { poll, wrapper };
}

describe('usePoll', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs the planned look once, after the interval, and a new plan replaces the old one', () => {
    const { poll } = mounted();
    const first = vi.fn();
    const second = vi.fn();
    poll.again(first);
    vi.advanceTimersByTime(2000);
    poll.again(second); // a fresher answer plans again: the first plan is dropped
    vi.advanceTimersByTime(2999);
    expect(first).not.toHaveBeenCalled();
    expect(second).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(second).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10_000);
    expect(second).toHaveBeenCalledTimes(1);
    expect(first).not.toHaveBeenCalled();
  });

  it('takes another delay, stops on demand, and never runs once the component is gone', () => {
    const { poll, wrapper } = mounted();
    const look = vi.fn();
    poll.again(look, 6000);
    vi.advanceTimersByTime(5999);
    poll.stop();
    vi.advanceTimersByTime(10_000);
    expect(look).not.toHaveBeenCalled();
    poll.again(look);
    wrapper.unmount();
    vi.advanceTimersByTime(10_000);
    poll.again(look);
    vi.advanceTimersByTime(10_000);
    expect(look).not.toHaveBeenCalled();
  });
});
