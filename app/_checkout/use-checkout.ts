"use client";

import { useMutation } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/trpc/routers/_app";
import { useCallback, useEffect, useRef, useState } from "react";
import { useTRPCClient } from "../_trpc/client";
import { loadAttempt, newAttempt, saveAttempt, type Attempt, type TryLogEntry, type AttemptRequest, type AttemptState } from "./attempt";
import { faultFor, type FaultSettings } from "./faults";
import { classify, MAX_RETRIES, retryDelayMs, type Problem } from "./retry";

export interface CheckoutRequest {
  signature: string;
  body: AttemptRequest;
  /** Demo only: use this key for a new attempt instead of a fresh one (`newIdempotencyKey`). */
  forcedKey?: string;
}

export type PaidPayment = inferRouterOutputs<AppRouter>["payment"]["create"];

export type Phase =
  | { kind: "idle" }
  | { kind: "paying" }
  | { kind: "waiting"; retry: number; ms: number; reason: string }
  | { kind: "retrying"; retry: number }
  | { kind: "paid"; payment: PaidPayment; log: TryLogEntry[] }
  | { kind: "declined"; problem: Problem; log: TryLogEntry[] }
  | { kind: "failed"; reason: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the customer reads when this page's own code threw (a full storage, a bug): not the server's failure. */
function ownFailure(error: unknown, sent: boolean): string {
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return sent
    ? `This page hit an error of its own after sending the payment (${what}). Whether it went through is unknown until you try again.`
    : `This page hit an error of its own before sending the payment (${what}). Nothing was sent this time.`;
}

/**
 * The checkout's retry loop: one key per attempt, automatic retries with backoff and jitter on
 * network failures, 409s and 5xx (honouring Retry-After), then a manual "Try again" with the same key.
 */
export function useCheckout(faults: FaultSettings) {
  const client = useTRPCClient();
  const [attempt, setAttempt] = useState<Attempt | null>(null);
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  /** How many times Pay or Try again started a run: lets observers (and tests) tell runs apart. */
  const [runs, setRuns] = useState(0);
  const attemptRef = useRef<Attempt | null>(null);
  // A synchronous guard: a double click or a second Enter arrives before React re-renders.
  const running = useRef(false);

  // Memory and screen first: when saving throws (a full storage), the attempt and its key are still shown.
  const update = useCallback((next: Attempt | null) => {
    attemptRef.current = next;
    setAttempt(next);
    saveAttempt(next);
  }, []);

  useEffect(() => {
    // Only read: a storage that refuses writes must not break the page before anyone pays.
    const stored = loadAttempt();
    attemptRef.current = stored;
    setAttempt(stored);
    if (stored?.state === "interrupted") setPhase({ kind: "failed", reason: "The page was reloaded before the payment finished." });
  }, []);

  const mutation = useMutation({
    mutationFn: async (request: CheckoutRequest) => {
      // Known once this run has its attempt: the one the catch below leaves unresolved.
      let key: string | undefined;
      let sent = false;
      try {
        const previous = attemptRef.current;
        // An unresolved attempt is always finished first, whatever the form shows now.
        const unresolved = previous?.state === "failed" || previous?.state === "interrupted";
        let current =
          previous && (unresolved || (previous.signature === request.signature && previous.state !== "paid"))
            ? previous
            : newAttempt(request.signature, request.body, request.forcedKey || undefined);
        key = current.key;
        const settle = (entry: Omit<TryLogEntry, "n" | "at">, state: AttemptState) => {
          current = { ...current, state, log: [...current.log, { ...entry, n: current.log.length + 1, at: new Date().toISOString() }] };
          update(current);
        };
        for (let retry = 0; retry <= MAX_RETRIES; retry++) {
          const fault = faultFor(faults, current.serial, current.log.length + 1);
          update({ ...current, state: "running" });
          setPhase(retry === 0 ? { kind: "paying" } : { kind: "retrying", retry });
          sent = true;
          // Only the call is classified: an exception in this page's own handling of the answer is no
          // network failure, and retrying it automatically would only repeat it.
          const answer = await client.payment.create.mutate({ idempotencyKey: current.key, ...current.request }, { context: { fault } }).then(
            (payment) => ({ payment }),
            (error: unknown) => ({ failure: classify(error) }),
          );
          if ("payment" in answer) {
            const replayed = answer.payment.idempotentReplayed;
            settle({ label: replayed ? "201 replayed" : "201 created", ok: true, replayed }, "paid");
            setPhase({ kind: "paid", payment: answer.payment, log: current.log });
            return;
          }
          const { failure } = answer;
          if (failure.kind === "declined") {
            const replayed = failure.problem.idempotentReplayed === true;
            settle({ label: replayed ? "402 declined, replayed" : "402 declined", ok: true, replayed }, "declined");
            setPhase({ kind: "declined", problem: failure.problem, log: current.log });
            return;
          }
          if (failure.kind === "fatal") {
            settle({ label: failure.label, ok: false, replayed: false }, "failed");
            setPhase({ kind: "failed", reason: failure.problem?.detail ?? failure.label });
            return;
          }
          settle({ label: failure.label, ok: false, replayed: false }, "running");
          if (retry < MAX_RETRIES) {
            const ms = retryDelayMs(retry + 1, failure.problem);
            setPhase({ kind: "waiting", retry: retry + 1, ms, reason: failure.label });
            await sleep(ms);
          }
        }
        update({ ...current, state: "failed" });
        setPhase({ kind: "failed", reason: `No answer after ${MAX_RETRIES} retries. The outcome is unknown until you try again.` });
      } catch (error) {
        // This page's own code threw (a full storage, a bug): whatever was sent, the attempt stays
        // unresolved with its key, so the cart stays locked and Try again cannot charge twice.
        setPhase({ kind: "failed", reason: ownFailure(error, sent) });
        const last = attemptRef.current; // `update` sets it first, so it is this run's latest state
        if (!key || last?.key !== key) return;
        const failed: Attempt = { ...last, state: "failed" };
        attemptRef.current = failed;
        setAttempt(failed);
        try {
          saveAttempt(failed);
        } catch {
          // Storage is most likely what failed; the attempt is in memory and on screen.
        }
      }
    },
  });

  const pay = useCallback(
    (request: CheckoutRequest) => {
      if (running.current) return;
      running.current = true;
      // In the same render as the new run count: nobody may read the previous run's outcome as this one's.
      setRuns((n) => n + 1);
      setPhase({ kind: "paying" });
      mutation.mutate(request, { onSettled: () => (running.current = false) });
    },
    [mutation],
  );

  /** Abandon an attempt whose outcome is unknown; the next payment gets a new key. */
  const startOver = useCallback(() => {
    update(null);
    setPhase({ kind: "idle" });
  }, [update]);

  return { attempt, phase, runs, pay, startOver, busy: mutation.isPending };
}
