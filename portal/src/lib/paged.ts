// A paged list from the gateway (page, per_page, total), reloaded when its
// filters change.
import { reactive, ref, watch, type Ref } from "vue";

export interface Page<T> { items: T[]; total: number; page: number; per_page: number }

export function usePaged<T, F extends object>(filters: F,
                                               fetch: (f: F, page: number, perPage: number) =>
                                                 Promise<Page<T>>, perPage = 20) {
  const state = reactive({ page: 1, perPage, total: 0 });
  const items = ref([]) as Ref<T[]>;
  const loading = ref(false);
  const error = ref<unknown>(null);

  async function load() {
    loading.value = true;
    error.value = null;
    try {
      const reply = await fetch(filters, state.page, state.perPage);
      items.value = reply.items;
      state.total = reply.total;
    } catch (err) {
      error.value = err;
    } finally {
      loading.value = false;
    }
  }

  watch(() => ({ ...filters }), () => { state.page = 1; void load(); }, { deep: true });
  watch(() => [state.page, state.perPage], () => void load());

  return { state, items, loading, error, load };
}
