// Codes never reach the screen: every label comes from the gateway's
// vocabularies (GET /api/v1/vocabularies, loaded once per sign-in).

import { defineStore } from "pinia";
import { ref } from "vue";

import { api, ok, type components } from "@/api/client";

type Vocabulary = components["schemas"]["Vocabulary"];
export type Term = Vocabulary["terms"][number];

export const useVocab = defineStore("vocab", () => {
  const byName = ref<Record<string, Vocabulary>>({});
  let loading: Promise<void> | null = null;

  function load(): Promise<void> {
    loading ??= ok(api.GET("/api/v1/vocabularies")).then((index) => {
      byName.value = Object.fromEntries(index.items.map((v) => [v.name, v]));
    }).catch((err) => {
      loading = null;
      throw err;
    });
    return loading;
  }

  /** The Chinese label of a code; an unknown code is shown as itself. */
  function label(name: string, code: string | number | null | undefined): string {
    if (code === null || code === undefined || code === "") return "—";
    const term = byName.value[name]?.terms.find((t) => t.code === String(code));
    return term?.label ?? String(code);
  }

  function terms(name: string): Term[] {
    return byName.value[name]?.terms ?? [];
  }

  return { load, label, terms, byName };
});
