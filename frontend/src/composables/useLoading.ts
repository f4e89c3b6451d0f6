import { ref } from 'vue';

export function useLoading(initial = false) {
  const loading = ref(initial);
  const setLoading = (value: boolean) => {
    loading.value = value;
  };
  const toggle = () => {
    loading.value = !loading.value;
  };
  return { loading, setLoading, toggle };
}
