/**
 * `station-files/http`: the pure HTTP rules the delivery runs on, for hosts that build their
 * own delivery: the response plan (RFC 9110 ranges and preconditions), Content-Disposition and
 * Content-Type choice, validators. No I/O.
 */
export { planResponse, httpDate, FILE_CSP } from '../http/plan';
export type { PlanOptions, PlanRequest, ResponsePlan, PlanHeaders } from '../http/plan';
export { decideRange, contentRange } from '../http/range';
export type { RangeDecision } from '../http/range';
export { readAhead } from '../http/read-ahead';
export type { ReadAhead } from '../http/read-ahead';
export { evaluatePreconditions, ifRangeAllows } from '../http/conditional';
export type { PreconditionResult, Validators } from '../http/conditional';
export { contentDisposition, safeFilename, asciiFallback, inlineAllowed } from '../http/disposition';
export type { DispositionType } from '../http/disposition';
export { chooseContentType } from '../http/content-type';
export { truncateIp, isLoopback } from '../http/client-ip';
export { fileEtag } from '../storage/local';
