/**
 * `station-files/signing`: the signer behind `files.signedUrl()`, for hosts that sign or check
 * links elsewhere (a worker, another service) with the same keys.
 */
export { createUrlSigner, signedQuery, readSignedQuery, deriveKeyId } from '../access/signed-url';
export type { SigningKey, UrlSigner, UrlSignerOptions, VerifyFailure, VerifyResult } from '../access/signed-url';
