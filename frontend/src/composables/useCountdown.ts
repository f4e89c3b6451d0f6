import { onScopeDispose, ref } from 'vue';

/** A seconds countdown (e.g. for `Retry-After`); stops by itself and on unmount. */
export function useCountdown() {
  const remaining = ref(0);
  let timer: ReturnType<typeof setInterval> | undefined;

  function stop() {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  }

  function start(seconds: number) {
    stop();
    remaining.value = Math.max(0, Math.ceil(seconds));
    if (remaining.value === 0) return;
    timer = setInterval(() => {
      remaining.value -= 1;
      if (remaining.value <= 0) {
        remaining.value = 0;
        stop();
      }
    }, 1000);
  }

  onScopeDispose(stop);
  return { remaining, start, stop };
}
