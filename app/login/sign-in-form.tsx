"use client";

import { useState, type FormEvent } from "react";

/** The operator token in, a session cookie out (POST /api/operator/session), then the dashboard. */
export function SignInForm() {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await fetch("/api/operator/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token }) });
      if (res.ok) {
        window.location.assign("/dashboard");
        return;
      }
      const body = (await res.json().catch(() => null)) as { detail?: string } | null;
      setError(body?.detail ?? `Sign-in failed (${res.status}).`);
    } catch {
      setError("The server did not answer; try again.");
    }
    setBusy(false);
  };
  return (
    <form className="card sign-in" onSubmit={(e) => void submit(e)}>
      <label htmlFor="operator-token">Operator token</label>
      <input id="operator-token" type="password" autoComplete="current-password" required value={token} onChange={(e) => setToken(e.target.value)} />
      {error && (
        <p className="bad small" role="alert" data-testid="sign-in-error">
          {error}
        </p>
      )}
      <button type="submit" className="pay" disabled={busy || token === ""}>
        Sign in
      </button>
    </form>
  );
}
