import type { AddDelegateInput, DelegateRight, MimecastResult } from '../../mimecast/types.js';

/**
 * What the core needs from Mimecast: plain results, with failures classified so that a person can act
 * on them. Implemented by the Mimecast client (`src/mimecast/`); tests fake it. The vocabulary
 * (results, failure kinds) is the client's, imported as types only.
 */
export interface MimecastApi {
  addDelegate(input: AddDelegateInput): Promise<MimecastResult<{ id: string }>>;
  removeDelegate(id: string): Promise<MimecastResult<object>>;
  findDelegates(primaryAddress: string): Promise<MimecastResult<{ delegates: DelegateRight[] }>>;
  close(): Promise<void>;
}

export type {
  AddDelegateInput,
  DelegateRight,
  MimecastFailure,
  MimecastFailureKind,
  MimecastResult,
} from '../../mimecast/types.js';
