import { TRPCClientError, type TRPCLink } from "@trpc/client";
import { observable } from "@trpc/server/observable";
import type { AppRouter } from "@/server/trpc/routers/_app";
import type { TryFault } from "../_checkout/faults";

/**
 * Simulates losing a response the server did send: the call goes out and is answered, then the
 * browser throws the answer away and reports a network failure, as a dropped connection would.
 */
export const browserDropLink: TRPCLink<AppRouter> =
  () =>
  ({ op, next }) =>
    observable((observer) => {
      const drop = (op.context.fault as TryFault | undefined)?.dropResponse === true;
      return next(op).subscribe({
        next(value) {
          if (drop) observer.error(TRPCClientError.from(new TypeError("Failed to fetch (response dropped by the browser, simulated)")));
          else observer.next(value);
        },
        error: (error) => observer.error(error),
        complete: () => {
          if (!drop) observer.complete();
        },
      });
    });

/** The Simulate-Failure header a call's context asks for, if any. */
export function faultHeaders(context: Record<string, unknown>): Record<string, string> {
  const header = (context.fault as TryFault | undefined)?.simulateFailure;
  return header ? { "simulate-failure": header } : {};
}
