// Messages and confirmations (Element Plus's functional components and their CSS).
import { ElMessage, ElMessageBox } from "element-plus";
import "element-plus/es/components/message/style/css";
import "element-plus/es/components/message-box/style/css";

import { ApiError, problemMessage } from "./problems";

export function done(text: string): void {
  ElMessage({ type: "success", message: text, showClose: true });
}

export function failed(err: unknown): void {
  const text = err instanceof ApiError ? problemMessage(err.problem)
    : err instanceof Error ? err.message : String(err);
  ElMessage({ type: "error", message: text, showClose: true, duration: 6000 });
}

export async function confirm(text: string, title = "请确认"): Promise<boolean> {
  try {
    await ElMessageBox.confirm(text, title, { confirmButtonText: "确定", cancelButtonText: "取消",
                                              type: "warning" });
    return true;
  } catch {
    return false;
  }
}
