import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { operators } from "@/server/app/operators";
import { OperatorBar } from "../_components/operator-bar";

// Decided per request from its cookie (and the server's configuration), never at build time.
export const dynamic = "force-dynamic";

/** Operator pages: only with a session (or in demo mode without a token, with a notice saying so). */
export default async function OperatorLayout({ children }: { children: ReactNode }) {
  const gate = operators();
  if (!(await gate.hasSession(new Headers(await headers())))) redirect("/login");
  return (
    <>
      <OperatorBar access={gate.mode === "demo" ? "demo" : "session"} />
      {children}
    </>
  );
}
