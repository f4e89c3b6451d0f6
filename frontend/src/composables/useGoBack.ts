import { useRouter } from 'vue-router';

/**
 * The back button of a record's page: back in the history when the user came from within the app,
 * else to the list (route `listRoute`), e.g. when the page was opened from a link.
 */
export function useGoBack(listRoute: string): () => void {
  const router = useRouter();
  return () => {
    if (window.history.state?.back) router.back();
    else void router.push({ name: listRoute });
  };
}
