import { onBeforeUnmount } from 'vue';

/**
 * One planned "look again" for a page that follows live work (a running job, messages being
 * sent): `again(fn)` runs `fn` after `everyMs` (replacing what was planned), `stop()` drops
 * the plan — a load started by the user replaces it — and nothing runs once the component is
 * gone.
 */
export function usePoll(everyMs: number): {
  again: (fn: () => unknown, delayMs?: number) => void;
  stop: () => void;
} {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;

  function stop(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  }

  function again(fn: () => unknown, delayMs = everyMs): void {
    stop();
    if (disposed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void fn();
    }, delayMs);
  }

  onBeforeUnmount(() => {
    disposed = true;
    stop();
  });
  return { again, stop };
}
