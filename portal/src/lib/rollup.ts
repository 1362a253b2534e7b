// The roll-up of a dashboard: the divisions one level down (city → counties →
// townships → villages), each with its own figures beside the whole; going down
// to one, and back up — never above the reader's own jurisdiction. Every figure
// is counted by division-code prefix, so the parts add up to the whole.
import { computed, ref, type Ref } from "vue";
import { useRoute, useRouter } from "vue-router";

import { api, ok } from "@/api/client";
import { useAuth } from "@/stores/auth";

export interface Part<T> { code: string; name: string; stats: T }

export function parentOf(code: string): string {
  if (code.length > 6) return code.length === 12 ? code.slice(0, 9) : code.slice(0, 6);
  return code.endsWith("00") ? `${code.slice(0, 2)}0000` : `${code.slice(0, 4)}00`;
}

/** A city's code (6 digits ending in 00, not a province's): its figures are its counties'. */
export function isCity(code: string): boolean {
  return /^\d{4}00$/.test(code) && !code.endsWith("0000");
}

export function useRollup<T>(division: Readonly<Ref<string>>, figures: (code: string) => Promise<T>,
                             go?: (code: string) => void) {
  const auth = useAuth();
  const route = useRoute();
  const router = useRouter();
  const below = ref<Part<T>[]>([]) as Ref<Part<T>[]>;

  async function loadBelow() {
    below.value = [];
    if (!division.value || division.value.length >= 12) return;
    const children = (await ok(api.GET("/api/v1/divisions/{code}/children", {
      params: { path: { code: division.value } } }))).items.slice(0, 40);
    below.value = await Promise.all(children.map(async (c) => ({
      code: c.code, name: c.name ?? c.code, stats: await figures(c.code) })));
  }

  function goTo(code: string) {
    if (go) go(code);
    else void router.replace({ query: { ...route.query, division: code } });
  }

  const up = computed(() => {
    const own = auth.me?.jurisdiction ?? "";
    if (!division.value || division.value === own) return null;
    const parent = parentOf(division.value);
    return own === "" || parent.startsWith(own.replace(/(00)+$/, "")) ? parent : null;
  });

  return { below, loadBelow, goTo, up };
}
