// A list a village posts (公示): loaded on demand, printed, or downloaded as the
// spreadsheet the gateway renders (CSV or XLSX) — the approval notice and the
// standing list share it.
import { ref, type Ref } from "vue";

import { download } from "@/api/client";
import { failed } from "@/lib/ui";

export function usePostedList<T>(fetch: () => Promise<{ items: T[]; total: number }>,
                                 exportUrl: (format: "csv" | "xlsx") => string,
                                 title: string) {
  const rows = ref([]) as Ref<T[]>;
  const total = ref(0);
  const error = ref<unknown>(null);
  const loaded = ref(false);

  async function load() {
    error.value = null;
    try {
      const reply = await fetch();
      rows.value = reply.items;
      total.value = reply.total;
      loaded.value = true;
    } catch (err) {
      error.value = err;
    }
  }

  function printPage() {
    globalThis.print();
  }

  async function save(format: "csv" | "xlsx") {
    await download(exportUrl(format), `${title}.${format}`).catch(failed);
  }

  return { rows, total, error, loaded, load, printPage, save };
}
