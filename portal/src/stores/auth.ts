// Who is signed in. The tokens live in this store's memory only — never in
// localStorage or a cookie a script could read — so a reload asks for the
// password again; the refresh token renews the access token while the tab is open.

import { defineStore } from "pinia";
import { computed, ref } from "vue";

import { api, ok, useTokens, type components } from "@/api/client";

export type Me = components["schemas"]["MeReply"];

export const useAuth = defineStore("auth", () => {
  const access = ref<string | null>(null);
  const refreshToken = ref<string | null>(null);
  const me = ref<Me | null>(null);
  const expiredAt = ref(0);
  let refreshing: Promise<boolean> | null = null;

  const signedIn = computed(() => me.value !== null);
  const permissions = computed(() => new Set(me.value?.permissions ?? []));

  function can(permission: string): boolean {
    return permissions.value.has(permission);
  }

  async function login(username: string, password: string): Promise<void> {
    const tokens = await ok(api.POST("/api/v1/auth/token", { body: { username, password } }));
    access.value = tokens.access_token;
    refreshToken.value = tokens.refresh_token;
    me.value = await ok(api.GET("/api/v1/me"));
  }

  async function refresh(): Promise<boolean> {
    if (!refreshToken.value) return false;
    refreshing ??= (async () => {
      try {
        const tokens = await ok(api.POST("/api/v1/auth/refresh", {
          body: { refresh_token: refreshToken.value as string } }));
        access.value = tokens.access_token;
        refreshToken.value = tokens.refresh_token;
        return true;
      } catch {
        return false;
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  function logout(): void {
    access.value = null;
    refreshToken.value = null;
    me.value = null;
  }

  useTokens({
    access: () => access.value,
    refresh,
    expired: () => {
      logout();
      expiredAt.value = Date.now();  // the router sends the person to the login page
    },
  });

  return { me, signedIn, can, login, logout, refresh, expiredAt };
});
