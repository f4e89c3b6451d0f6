import axios, { type AxiosResponse } from 'axios';
import { t } from '@/locale';

/** One entry of the backend's `error.details` list. */
export interface ApiErrorDetail {
  field?: string | null;
  message: string;
  [extra: string]: unknown;
}

export interface ApiErrorInit {
  status: number;
  code: string;
  message: string;
  details?: ApiErrorDetail[];
  requestId?: string;
  retryAfter?: number;
}

/**
 * Every failed API call rejects with an ApiError.
 *
 * - `status`: HTTP status, or 0 when no response arrived (network error, timeout, canceled).
 * - `code`: the backend's machine-readable `error.code` (e.g. `invalid_credentials`,
 *   `too_many_attempts`), or `network_error` / `timeout` / `canceled` / `http_<status>`.
 * - `message`: human-readable, safe to show to the user.
 * - `details`: per-field errors from the backend (`[{field, message}]`).
 * - `retryAfter`: seconds from the `Retry-After` header (e.g. on 429), when present.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ApiErrorDetail[];
  readonly requestId?: string;
  readonly retryAfter?: number;

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? [];
    this.requestId = init.requestId;
    this.retryAfter = init.retryAfter;
  }

  /** Message of the detail for `field`, if the backend reported one. */
  fieldError(field: string): string | undefined {
    return this.details.find((d) => d.field === field)?.message;
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function header(response: AxiosResponse | undefined, name: string): string | undefined {
  const headers = response?.headers as Record<string, unknown> | { get?: (n: string) => unknown } | undefined;
  if (!headers) return undefined;
  const value =
    typeof (headers as { get?: unknown }).get === 'function'
      ? (headers as { get: (n: string) => unknown }).get(name)
      : (headers as Record<string, unknown>)[name.toLowerCase()];
  if (value === undefined || value === null || value === false) return undefined;
  return String(value);
}

/** Parses `Retry-After` (delta-seconds or HTTP-date) into whole seconds. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number.parseInt(trimmed, 10);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function parseDetails(raw: unknown): ApiErrorDetail[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isRecord).map((d) => ({
    ...d,
    field: typeof d.field === 'string' ? d.field : null,
    message: typeof d.message === 'string' ? d.message : String(d.message ?? ''),
  }));
}

/** Normalises anything thrown by axios (or already normalised) into an ApiError. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;

  if (axios.isAxiosError(error)) {
    const response = error.response;
    const requestHeaders = error.config?.headers as { get?: (n: string) => unknown } | undefined;
    const sentRequestId =
      requestHeaders && typeof requestHeaders.get === 'function'
        ? (requestHeaders.get('X-Request-ID') as string | undefined)
        : undefined;

    if (!response) {
      if (axios.isCancel(error) || error.code === 'ERR_CANCELED') {
        return new ApiError({
          status: 0,
          code: 'canceled',
          message: t('error.canceled'),
          requestId: sentRequestId,
        });
      }
      if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT') {
        return new ApiError({
          status: 0,
          code: 'timeout',
          message: t('error.timeout'),
          requestId: sentRequestId,
        });
      }
      return new ApiError({
        status: 0,
        code: 'network_error',
        message: t('error.network'),
        requestId: sentRequestId,
      });
    }

    const status = response.status;
    const body: unknown = response.data;
    const requestId = header(response, 'x-request-id') ?? sentRequestId ?? undefined;
    const retryAfter = parseRetryAfter(header(response, 'retry-after'));

    // Backend envelope: {"error": {"code", "message", "details": [{field, message}]}}
    if (isRecord(body) && isRecord(body.error)) {
      const envelope = body.error;
      return new ApiError({
        status,
        code: typeof envelope.code === 'string' && envelope.code ? envelope.code : `http_${status}`,
        message:
          typeof envelope.message === 'string' && envelope.message
            ? envelope.message
            : t('error.http', { status }),
        details: parseDetails(envelope.details),
        requestId,
        retryAfter,
      });
    }
    // Defensive fallback for framework-level errors that bypass the envelope ({"detail": "..."}).
    const detail = isRecord(body) ? body.detail : undefined;
    return new ApiError({
      status,
      code: `http_${status}`,
      message: typeof detail === 'string' && detail ? detail : t('error.http', { status }),
      details: parseDetails(detail),
      requestId,
      retryAfter,
    });
  }

  if (error instanceof Error) {
    return new ApiError({ status: 0, code: 'unknown', message: error.message || t('error.unknown') });
  }
  return new ApiError({ status: 0, code: 'unknown', message: t('error.unknown') });
}
