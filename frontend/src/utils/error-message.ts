import type { ApiError } from '@/api/errors';

/**
 * An API error as one line for an alert: the message, then the details' messages it does not
 * already say (a 422 "validation failed: day: must not be in the future; …").
 */
export function messageWithDetails(error: Pick<ApiError, 'message' | 'details'>): string {
  const details = error.details.map((d) => d.message).filter((m) => m && !error.message.includes(m));
  return details.length ? `${error.message}: ${details.join('; ')}` : error.message;
}
