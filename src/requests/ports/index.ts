/** Everything the core needs from the world, declared once; adapters elsewhere implement it. */
export type { Clock } from './clock.js';
export type { DeliveryReport, FindingDelivery, NoticeDelivery, RetryAfterHint } from './delivery.js';
export type { Directory, Profile } from './directory.js';
export type {
  AddDelegateInput,
  DelegateRight,
  MimecastApi,
  MimecastFailure,
  MimecastFailureKind,
  MimecastResult,
} from './mimecast.js';
export {
  type AuditFilter,
  DuplicateIdError,
  DuplicateViewError,
  type FindingFilter,
  type FindingTransitionInput,
  type FindingTransitionResult,
  type JobState,
  type RecordFindingResult,
  type RequestFilter,
  type RequestPatch,
  type Store,
  type StoredNotice,
  type StoreOverview,
  type TransitionInput,
  type TransitionResult,
} from './store.js';
