export { IdempotencyEngine, decide, unsettled } from "./engine.js";
export type { Decision, EngineOptions, ExecutionContext, ExternalOptions, OperationResult, RunOutcome, RunRequest, RunResult, Steps } from "./engine.js";
export { CallPipeline, type PipelineOptions, type Seen } from "./pipeline.js";
export { statusOf } from "./call.js";
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
} from "./call.js";
export { CapacityError, ConflictError, ContentionError, IdempotencyError, LostOwnershipError, MismatchError, StoreError } from "./errors.js";
export { mapError, type ErrorMapper, type MappedError, type Outcome } from "./errors-map.js";
export { RecordState, type Checkpoint, type Checkpoints, type IdempotencyRecord, type OwnedClaim, type StoredResponse } from "./record.js";
export type { Abandoned, ClaimRequest, Completion, IdempotencyStore, InsertResult } from "./store.js";
export { fingerprint } from "./fingerprint.js";
export { idempotencyKeySchema, MAX_KEY_LENGTH, type IdempotencyKey } from "./key.js";
export { idempotencyKeyFromHeader } from "./key-header.js";
export { MAX_WAIT_SECONDS, PREFER_HEADER, PREFERENCE_APPLIED_HEADER, preferenceApplied, waitPreference } from "./prefer.js";
export {
  fieldErrors,
  IDEMPOTENCY_PROBLEMS,
  problem,
  ProblemError,
  problemType,
  validationProblem,
  type IdempotencyProblemCode,
  type Problem,
} from "./problem.js";
