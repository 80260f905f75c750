/** Content-Type selection: the file reference's own type, else the extension, else the storage's. */
import path from 'node:path';
import { lookup } from 'mime-types';

// type "/" subtype *( OWS ";" OWS parameter ), printable ASCII only: nothing that could split a header.
// OWS is SP / HTAB only (RFC 9110 5.6.3): CR, LF and other white space never pass.
const MEDIA_TYPE =
  /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+([ \t]*;[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+=("[\x20-\x7e]*"|[!#$%&'*+.^_`|~0-9A-Za-z-]+))*$/;
const GENERIC = new Set(['application/octet-stream', 'binary/octet-stream']);

/** True for a syntactically valid media type that is safe to put in a header. */
export function isMediaType(value: string): boolean {
  return MEDIA_TYPE.test(value);
}

/**
 * Picks the Content-Type to send: an explicit type first, then the filename's extension (storages
 * often record `binary/octet-stream` or a wrong type), then the storage's type, then
 * `application/octet-stream`.
 *
 * @example
 * chooseContentType({ filename: 'show.mp3' })                                   // 'audio/mpeg'
 * chooseContentType({ explicit: 'audio/ogg', filename: 'x.mp3' })               // 'audio/ogg'
 * chooseContentType({ filename: 'noext', stored: 'audio/wav' })                 // 'audio/wav'
 */
export function chooseContentType(input: { explicit?: string; filename?: string; stored?: string }): string {
  if (input.explicit && isMediaType(input.explicit)) return input.explicit;
  // Only a real extension counts: a file named `mp3` has none (mime-types would read it as one).
  const extension = input.filename ? path.extname(input.filename) : '';
  const byExtension = extension ? lookup(extension) : false;
  if (byExtension) return byExtension;
  if (input.stored && isMediaType(input.stored) && !GENERIC.has(input.stored.toLowerCase())) return input.stored;
  return 'application/octet-stream';
}
