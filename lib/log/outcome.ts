/** Mapping HTTP results to download outcomes, shared by the event log and the morgan tokens. */
import type { DeliveryOutcome } from '../delivery/serve';
import type { DownloadOutcome } from './events';

/**
 * The download outcome for a response the library answered without a body stream (or whose
 * stream result is not known yet): by status, and by whether the response finished.
 *
 * @example
 * outcomeForStatus(403, true)  // 'denied'
 * outcomeForStatus(206, false) // 'aborted'
 */
export function outcomeForStatus(status: number, finished: boolean): DownloadOutcome {
  if (status === 401 || status === 403 || status === 429) return 'denied';
  if (status === 404) return 'not-found';
  if (status === 304) return 'not-modified';
  if (status >= 500) return 'failed';
  if (status >= 400) return 'rejected';
  return finished ? 'completed' : 'aborted';
}

/**
 * The download outcome of a delivery result.
 *
 * @example
 * outcomeForDelivery('range-not-satisfiable') // 'rejected'
 */
export function outcomeForDelivery(outcome: DeliveryOutcome): DownloadOutcome {
  switch (outcome) {
    case 'precondition-failed':
    case 'range-not-satisfiable':
    case 'method-not-allowed':
      return 'rejected';
    default:
      return outcome;
  }
}
