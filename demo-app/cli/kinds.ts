/** File kinds as the CLI accepts them. */
import type { FileKind } from '../db/database';
import { usageError } from './errors';

export const KINDS: readonly FileKind[] = ['recording', 'media', 'episode'];

export function parseKind(value: string, usage: string): FileKind {
  const kind = KINDS.find((k) => k === value);
  if (!kind) throw usageError(`unknown kind "${value}" (one of: ${KINDS.join(', ')})`, usage);
  return kind;
}
