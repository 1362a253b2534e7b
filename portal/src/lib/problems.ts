// Errors from the gateway are RFC 9457 problem+json. A form needs them per
// field: the gateway's own checks name fields in `invalid_params` (a dotted
// path, e.g. "consent.given"), the services' business rules in `fields.field`.

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: string;
  invalid_params?: { in?: string; name?: string; reason?: string }[];
  fields?: Record<string, unknown>;
  [key: string]: unknown;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem, readonly retryAfter?: number) {
    super(problem.detail || problem.title || `错误 ${problem.status}`);
  }
  get status(): number {
    return this.problem.status;
  }
}

/** field name → Chinese message, for the form (the whole dotted path and its last part). */
export function fieldErrors(problem: Problem | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!problem) return out;
  for (const p of problem.invalid_params ?? []) {
    if (!p.name) continue;
    const text = cleanReason(p.reason ?? "不合法");
    out[p.name] = text;
    const last = p.name.split(".").pop();
    if (last && !(last in out)) out[last] = text;
  }
  const field = problem.fields?.field;
  if (typeof field === "string" && field) {
    const text = problem.detail ?? "不合法";
    out[field] = text;
    const last = field.split(".").pop();
    if (last && !(last in out)) out[last] = text;
  }
  return out;
}

/** "身份证号码校验位错误（…） (bad_checksum)" → without the machine code in brackets. */
export function cleanReason(reason: string): string {
  return reason.replace(/\s*\([a-z_]+\)\s*$/, "");
}

/** What to tell the person, by status (the detail when the gateway gave one). */
export function problemMessage(problem: Problem): string {
  if (problem.status === 409 || problem.status === 412) {
    return problem.detail ?? "记录已被他人修改，请刷新后再操作";
  }
  if (problem.status === 503 || problem.status === 504) {
    return `${problem.detail ?? "服务暂不可用"}，请稍后重试`;
  }
  if (problem.status === 403) return problem.detail ?? "无权执行此操作";
  if (problem.status === 404) return problem.detail ?? "未找到";
  return problem.detail ?? problem.title ?? "操作失败";
}

/** May the same request simply be sent again (the user keeps what they typed)? */
export function retryable(problem: Problem): boolean {
  return problem.status === 503 || problem.status === 504 || problem.status === 429;
}
