"use client";

import { useState } from "react";

/** Above every operator page: the demo-mode warning, or the signed-in operator's "Sign out". */
export function OperatorBar({ access }: { access: "demo" | "session" }) {
  const [failed, setFailed] = useState(false);
  if (access === "demo") {
    return (
      <p className="operator-notice" role="note" data-testid="demo-notice">
        <strong>Demo mode:</strong> operator pages are open to anyone. Set <code>ONCEPAY_OPERATOR_TOKEN</code> to require signing in.
      </p>
    );
  }
  const signOut = async () => {
    const res = await fetch("/api/operator/session", { method: "DELETE" }).catch(() => null);
    if (res?.ok) window.location.assign("/login");
    else setFailed(true);
  };
  return (
    <div className="operator-bar">
      {failed && (
        <span className="bad small" role="alert">
          Sign-out failed; try again.
        </span>
      )}
      <button type="button" className="secondary" onClick={() => void signOut()}>
        Sign out
      </button>
    </div>
  );
}
