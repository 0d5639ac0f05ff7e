/** Per-procedure facts the middlewares read. */
export interface Meta {
  /** For idempotent procedures: the engine's operation name, shared with REST (`payment.create`). */
  operation?: string;
}
