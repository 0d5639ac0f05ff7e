"use client";

import { useCallback, useEffect, useState } from "react";

type StorageKind = "session" | "local";

const webStorage = (kind: StorageKind) => (kind === "session" ? sessionStorage : localStorage);

/**
 * useState kept in Web Storage under `key`, read after mount (storage does not exist on the
 * server), so a reload shows what the customer left: the same cart, the same toggle.
 */
export function useStoredState<T>(key: string, initial: T, storage: StorageKind = "session") {
  const [value, setValue] = useState<T>(initial);
  // Read once, on mount (key and storage do not change at the call sites).
  useEffect(() => {
    try {
      const raw = webStorage(storage).getItem(key);
      if (raw !== null) setValue(JSON.parse(raw) as T);
    } catch {
      // Unreadable or blocked storage: keep the initial value.
    }
  }, [key, storage]);
  const set = useCallback(
    (next: T) => {
      setValue(next);
      try {
        webStorage(storage).setItem(key, JSON.stringify(next));
      } catch {
        // Storage full or blocked: the state still works for this page view.
      }
    },
    [key, storage],
  );
  return [value, set] as const;
}
