import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";

import { permissionFor } from "@/lib/menus";
import { useAuth } from "@/stores/auth";

const routes: RouteRecordRaw[] = [
  { path: "/login", name: "login", component: () => import("@/views/LoginView.vue"),
    meta: { public: true, title: "登录" } },
  {
    path: "/", component: () => import("@/components/AppLayout.vue"),
    children: [
      { path: "", name: "home", component: () => import("@/views/HomeView.vue"),
        meta: { title: "工作台" } },
      { path: "dashboard", component: () => import("@/views/dashboard/OverviewView.vue"),
        meta: { title: "数据看板" } },
      { path: "dashboard/funds", component: () => import("@/views/dashboard/FundsView.vue"),
        meta: { title: "资金看板" } },
      { path: "dashboard/institutions",
        component: () => import("@/views/dashboard/InstitutionsView.vue"),
        meta: { title: "机构看板" } },
      { path: "dashboard/services", component: () => import("@/views/dashboard/ServicesView.vue"),
        meta: { title: "服务看板" } },
      { path: "persons", component: () => import("@/views/persons/PersonList.vue"),
        meta: { title: "人员查询" } },
      { path: "persons/new", component: () => import("@/views/persons/PersonRegister.vue"),
        meta: { title: "登记人员" } },
      { path: "persons/:id", component: () => import("@/views/persons/PersonDetail.vue"),
        props: true, meta: { title: "一人一档" } },
      { path: "applications", component: () => import("@/views/applications/ApplicationList.vue"),
        meta: { title: "申请与审核" } },
      { path: "applications/:id",
        component: () => import("@/views/applications/ApplicationDetail.vue"), props: true,
        meta: { title: "申请详情" } },
      { path: "notices", component: () => import("@/views/applications/NoticeList.vue"),
        meta: { title: "公示名单" } },
      { path: "institutions", component: () => import("@/views/institutions/InstitutionList.vue"),
        meta: { title: "机构与床位" } },
      { path: "institutions/:uscc",
        component: () => import("@/views/institutions/InstitutionDetail.vue"), props: true,
        meta: { title: "机构" } },
      { path: "funding/settlement", component: () => import("@/views/funding/SettlementView.vue"),
        meta: { title: "月度结算" } },
      { path: "jobs", component: () => import("@/views/funding/JobList.vue"),
        meta: { title: "后台任务" } },
      { path: "services/cards", component: () => import("@/views/services/CardList.vue"),
        meta: { title: "服务卡" } },
      { path: "services/cards/:id", component: () => import("@/views/services/CardDetail.vue"),
        props: true, meta: { title: "服务卡" } },
      { path: "services/records", component: () => import("@/views/services/RecordList.vue"),
        meta: { title: "服务记录" } },
      { path: "services/alerts", component: () => import("@/views/services/AlertInbox.vue"),
        meta: { title: "爱心门铃" } },
      { path: "services/visits", component: () => import("@/views/services/OverdueVisits.vue"),
        meta: { title: "逾期探访" } },
      { path: "audit", component: () => import("@/views/AuditView.vue"),
        meta: { title: "审计记录" } },
      { path: "admin/users", component: () => import("@/views/admin/UsersView.vue"),
        meta: { title: "用户管理" } },
      { path: "forbidden", name: "forbidden", component: () => import("@/views/ForbiddenView.vue"),
        meta: { title: "无权访问" } },
      { path: ":rest(.*)*", name: "not-found", component: () => import("@/views/NotFoundView.vue"),
        meta: { title: "未找到" } },
    ],
  },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach((to) => {
  const auth = useAuth();
  if (to.meta.public) return true;
  if (!auth.signedIn) return { name: "login", query: { next: to.fullPath } };
  const needed = permissionFor(to.path);
  if (needed && !auth.can(needed) && to.name !== "forbidden") return { name: "forbidden" };
  return true;
});

router.afterEach((to) => {
  document.title = `${String(to.meta.title ?? "")} · 兜底`;
});
