// Names of places by division code (GET /api/v1/divisions/{code}), asked once.
import { api, ok } from "@/api/client";

const cache = new Map<string, Promise<{ name: string | null; full_name: string }>>();

export async function divisionName(code: string, full = false): Promise<string> {
  if (!cache.has(code)) {
    cache.set(code, ok(api.GET("/api/v1/divisions/{code}", { params: { path: { code } } }))
      .catch(() => ({ name: null, full_name: "" })));
  }
  const found = await cache.get(code)!;
  return (full ? found.full_name : found.name) || code;
}
