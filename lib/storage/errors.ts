/**
 * Error types shared by the storages and the delivery layer. Storage errors carry a code
 * the delivery layer maps to an HTTP status; their messages are for logs, never for clients.
 */

/** Why a storage could not deliver. */
export type StorageErrorCode =
  /** The object does not exist (any more). */
  | 'not-found'
  /** The object changed since it was planned (If-Match failed). */
  | 'changed'
  /** The storage could not be reached or failed. */
  | 'unavailable'
  /** The read was aborted by the caller. */
  | 'aborted';

/** A failure of a storage operation, with a code the delivery layer understands. */
export class StorageError extends Error {
  readonly code: StorageErrorCode;
  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.code = code;
  }
}

/** True when `err` is a {@link StorageError} (also across package copies). */
export function isStorageError(err: unknown): err is StorageError {
  return err instanceof Error && err.name === 'StorageError' && typeof (err as StorageError).code === 'string';
}
