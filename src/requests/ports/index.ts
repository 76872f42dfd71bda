/** Everything the core needs from the world, declared once; adapters elsewhere implement it. */
export type { Clock } from './clock.js';
export type { DeliveryReport, NoticeDelivery, RetryAfterHint } from './delivery.js';
export type { Directory } from './directory.js';
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
  type RequestFilter,
  type RequestPatch,
  type Store,
  type StoredNotice,
  type StoreOverview,
  type TransitionInput,
  type TransitionResult,
} from './store.js';
