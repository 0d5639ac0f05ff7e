"use client";

import { useCallback, useEffect, useState } from "react";

/**
 * useState kept in Web Storage under `key`, read after mount (storage does not exist on the
 * server), so a reload shows what the customer left: the same cart, the same toggle.
 */
export function useStoredState<T>(key: string, initial: T, storage: "session" | "local" = "session") {
  const [value, setValue] = useState<T>(initial);
  const store = () => (storage === "session" ? sessionStorage : localStorage);
  useEffect(() => {
    try {
      const raw = store().getItem(key);
      if (raw !== null) setValue(JSON.parse(raw) as T);
    } catch {
      // Unreadable or blocked storage: keep the initial value.
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- read once, on mount
  }, [key]);
  const set = useCallback(
    (next: T) => {
      setValue(next);
      try {
        store().setItem(key, JSON.stringify(next));
      } catch {
        // Storage full or blocked: the state still works for this page view.
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [key],
  );
  return [value, set] as const;
}
