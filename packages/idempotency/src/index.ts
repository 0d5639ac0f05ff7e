export { IdempotencyEngine, decide, unsettled } from "./engine";
export type { Decision, EngineOptions, ExecutionContext, ExternalOptions, OperationResult, RunOutcome, RunRequest, RunResult, Steps } from "./engine";
export { CallPipeline, type PipelineOptions, type Seen } from "./pipeline";
export { statusOf } from "./call";
export type {
  Attributes,
  BatchCall,
  BatchOutcome,
  BatchResult,
  CallArgs,
  CallObservation,
  CallResult,
  IdempotentCall,
  IdempotentOperation,
  ProblemResult,
  Step,
  StoredResult,
} from "./call";
export { CapacityError, ConflictError, ContentionError, IdempotencyError, LostOwnershipError, MismatchError, StoreError } from "./errors";
export { mapError, type ErrorMapper, type MappedError, type Outcome } from "./errors-map";
export { RecordState, type Checkpoint, type Checkpoints, type IdempotencyRecord, type OwnedClaim, type StoredResponse } from "./record";
export type { Abandoned, ClaimRequest, Completion, IdempotencyStore, InsertResult } from "./store";
export { fingerprint } from "./fingerprint";
export { idempotencyKeySchema, MAX_KEY_LENGTH, type IdempotencyKey } from "./key";
export { idempotencyKeyFromHeader } from "./key-header";
export { MAX_WAIT_SECONDS, PREFER_HEADER, PREFERENCE_APPLIED_HEADER, preferenceApplied, waitPreference } from "./prefer";
export { fieldErrors, IDEMPOTENCY_PROBLEMS, problem, ProblemError, problemType, validationProblem, type IdempotencyProblemCode, type Problem } from "./problem";
