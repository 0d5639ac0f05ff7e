import type { Metadata } from "next";
import { headers } from "next/headers";
import Link from "next/link";
import { redirect } from "next/navigation";
import { operators } from "@/server/app/operators";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Operator sign-in · Oncepay" };
// The server's mode and the visitor's cookie decide what shows: per request.
export const dynamic = "force-dynamic";

export default async function LoginPage() {
  const gate = operators();
  if (gate.mode === "token" && (await gate.hasSession(new Headers(await headers())))) redirect("/dashboard");
  return (
    <main>
      <header className="top">
        <h1>Operator sign-in</h1>
        <Link href="/">Checkout →</Link>
      </header>
      {gate.mode === "token" && <SignInForm />}
      {gate.mode === "demo" && (
        <p className="operator-notice" role="note" data-testid="demo-notice">
          <strong>Demo mode:</strong> no operator token is set, so the operator pages are open to anyone: <Link href="/dashboard">go to the dashboard</Link>.
          Set <code>ONCEPAY_OPERATOR_TOKEN</code> to require signing in.
        </p>
      )}
      {gate.mode === "closed" && (
        <p className="card" role="alert" data-testid="operators-closed">
          Operator access is closed: set <code>ONCEPAY_OPERATOR_TOKEN</code> on the server (at least 16 characters), restart it, and sign in here with that
          token.
        </p>
      )}
    </main>
  );
}
