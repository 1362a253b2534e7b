// A form's submit: busy while it runs, the problem's field errors on the
// fields, the problem itself for the alert — and nothing the person typed is
// cleared on an error (the form's model is left as it was).

import { ref } from "vue";

import { ApiError, fieldErrors } from "./problems";

export function useSubmit<T>(action: () => Promise<T>) {
  const busy = ref(false);
  const errors = ref<Record<string, string>>({});
  const error = ref<unknown>(null);

  async function submit(): Promise<T | undefined> {
    busy.value = true;
    errors.value = {};
    error.value = null;
    try {
      return await action();
    } catch (err) {
      error.value = err;
      if (err instanceof ApiError) errors.value = fieldErrors(err.problem);
      return undefined;
    } finally {
      busy.value = false;
    }
  }

  return { busy, errors, error, submit };
}
