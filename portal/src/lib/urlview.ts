// A dashboard's view (division, month, year…) lives in the URL so that it can be
// shared: when one of the watched values changes, the query follows and the page
// loads its figures again.
import { type Ref, watch } from "vue";
import { useRoute, useRouter } from "vue-router";

export function useUrlView(view: Record<string, Readonly<Ref<string>>>, load: () => unknown): void {
  const route = useRoute();
  const router = useRouter();
  watch(() => Object.values(view).map((r) => r.value), () => {
    const wanted = Object.fromEntries(Object.entries(view).map(([k, r]) => [k, r.value]));
    if (Object.entries(wanted).some(([k, v]) => route.query[k] !== v)) {
      void router.replace({ query: { ...route.query, ...wanted } });
    }
    void load();
  }, { immediate: true });
}
