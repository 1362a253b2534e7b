// The one API client: generated types (src/api/schema.d.ts, from the gateway's
// OpenAPI document) and openapi-fetch. A middleware adds the bearer token and,
// when the access token has expired, refreshes it once and repeats the request;
// when that fails the person is sent to the login page and brought back after.
// Every error becomes an ApiError carrying the problem+json.

import createClient, { type Middleware } from "openapi-fetch";

import { ApiError, type Problem } from "@/lib/problems";
import type { paths } from "./schema";

export type { components, operations, paths } from "./schema";

export interface TokenSource {
  access(): string | null;
  refresh(): Promise<boolean>;
  expired(): void;
}

let tokens: TokenSource | null = null;

export function useTokens(source: TokenSource): void {
  tokens = source;
}

const auth: Middleware = {
  async onRequest({ request }) {
    const token = tokens?.access();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
};

async function fetchWithRefresh(input: Request): Promise<Response> {
  const retry = input.clone();
  const first = await fetch(input);
  if (first.status !== 401 || !tokens || new URL(input.url).pathname.startsWith("/api/v1/auth/")) {
    return first;
  }
  if (await tokens.refresh()) {
    const token = tokens.access();
    if (token) retry.headers.set("Authorization", `Bearer ${token}`);
    return fetch(retry);
  }
  tokens.expired();
  return first;
}

export const api = createClient<paths>({ baseUrl: "", fetch: fetchWithRefresh });
api.use(auth);

/** The data of a reply, or an ApiError with its problem. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>):
    Promise<T> {
  const { data, error, response } = await call;
  if (response.ok && data !== undefined) return data as T;
  const problem = (typeof error === "object" && error !== null ? error : {
    status: response.status, detail: typeof error === "string" ? error : response.statusText,
  }) as Problem;
  problem.status ??= response.status;
  const after = Number(response.headers.get("Retry-After"));
  throw new ApiError(problem, Number.isFinite(after) && after > 0 ? after : undefined);
}

/** The JSON reply of an operation that can also answer a spreadsheet (``format``). */
export function json<T>(value: T): Exclude<T, string> {
  if (typeof value === "string") throw new Error("expected JSON, got text");
  return value as Exclude<T, string>;
}

/** A report as a file (CSV/XLSX): fetched with the token, saved under its name. */
export async function download(url: string, fallbackName: string): Promise<void> {
  const response = await fetchWithRefresh(new Request(url, {
    headers: tokens?.access() ? { Authorization: `Bearer ${tokens.access()}` } : {},
  }));
  if (!response.ok) {
    let problem: Problem = { status: response.status, detail: response.statusText };
    try { problem = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(problem);
  }
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
  const href = URL.createObjectURL(await response.blob());
  const a = document.createElement("a");
  a.href = href;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}
