/**
 * The ONE Axios instance of the app (baseURL `/api/v1`).
 *
 * Interceptor chain:
 *   request  1. Authorization: Bearer <access token>   (from the bound session = the auth store)
 *   request  2. X-Request-ID: <uuid>                     (unless the caller set one)
 *   request  3. Accept-Language: <current UI locale>     (the API answers errors, import reasons
 *               and the error workbook in that language)
 *   response 1. 401 on a non-auth route -> ONE single-flight refresh, then retry the request once;
 *               if the refresh fails the session is expired (store cleared, routed to /login)
 *   response 2. every failure is normalised into an ApiError {status, code, message, details}
 *               (a JSON error body of a blob download is decoded first)
 *
 * The session is bound at start-up (see `src/store/session.ts`) instead of importing the store
 * here, which keeps this module free of import cycles and easy to unit test.
 */
import axios, {
  AxiosError,
  AxiosHeaders,
  type AxiosRequestConfig,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import { toApiError } from './errors';
import { cleanParams, reasonParams } from './params';
import { newRequestId } from '@/utils/request-id';
import { currentLocale } from '@/locale';

declare module 'axios' {
  interface AxiosRequestConfig {
    /** Do not try a token refresh when this request answers 401. */
    skipAuthRefresh?: boolean;
    /** Internal: set on the single retry made after a refresh. */
    _retried?: boolean;
  }
}

export interface SessionBridge {
  /** Current access token, or null when logged out. */
  getAccessToken(): string | null | undefined;
  /** Exchanges the refresh token for a new token pair; rejects when that is impossible. */
  refresh(): Promise<void>;
  /** Called once when a refresh failed: clear the session and go to the login page. */
  onSessionExpired(): void | Promise<void>;
}

export const API_BASE_URL = '/api/v1';

/** Routes whose 401 means "bad credentials / bad refresh token", never "access token expired". */
const AUTH_ROUTES = ['/auth/login', '/auth/refresh', '/auth/logout'];
/** Routes that must not carry the (possibly expired) access token. */
const ANONYMOUS_ROUTES = ['/auth/login', '/auth/refresh'];

function routePath(url: string | undefined): string {
  if (!url) return '';
  let path = url.split(/[?#]/, 1)[0];
  const apiIndex = path.indexOf(API_BASE_URL + '/');
  if (apiIndex >= 0) path = path.slice(apiIndex + API_BASE_URL.length);
  return path.replace(/\/+$/, '');
}

export function isAuthRoute(url: string | undefined): boolean {
  return AUTH_ROUTES.includes(routePath(url));
}

let session: SessionBridge | null = null;
let refreshInFlight: Promise<void> | null = null;

/** Connects the HTTP client to the session owner (the auth store). `null` unbinds. */
export function bindSession(bridge: SessionBridge | null): void {
  session = bridge;
  refreshInFlight = null;
}

/**
 * Single-flight refresh: all callers that arrive while a refresh is running share it.
 * When it fails, `onSessionExpired` runs exactly once for the whole group.
 */
export function refreshSession(): Promise<void> {
  if (!refreshInFlight) {
    const bridge = session;
    refreshInFlight = (async () => {
      if (!bridge) throw new Error('No session bound to the HTTP client');
      try {
        await bridge.refresh();
      } catch (error) {
        await bridge.onSessionExpired();
        throw error;
      }
    })().finally(() => {
      refreshInFlight = null;
    });
  }
  return refreshInFlight;
}

function bearerOf(config: InternalAxiosRequestConfig | undefined): string | null {
  const value = config?.headers?.get?.('Authorization');
  if (typeof value !== 'string') return null;
  return value.startsWith('Bearer ') ? value.slice('Bearer '.length) : null;
}

export const http = axios.create({
  baseURL: API_BASE_URL,
  timeout: 30_000,
  headers: { Accept: 'application/json' },
});

// Request interceptors run in reverse registration order; register so the chain reads top-down.
http.interceptors.request.use((config) => {
  // every answer's messages in the language the UI shows, read at each request (it can switch)
  config.headers.set('Accept-Language', currentLocale.value);
  return config;
});

http.interceptors.request.use((config) => {
  if (!config.headers.has('X-Request-ID')) {
    config.headers.set('X-Request-ID', newRequestId());
  }
  return config;
});

http.interceptors.request.use((config) => {
  const token = session?.getAccessToken();
  if (token && !config.headers.has('Authorization') && !ANONYMOUS_ROUTES.includes(routePath(config.url))) {
    config.headers.set('Authorization', `Bearer ${token}`);
  }
  return config;
});

// Response interceptors run in registration order: refresh-and-retry first, then normalisation.
http.interceptors.response.use(undefined, async (error: unknown) => {
  if (!(error instanceof AxiosError) || error.response?.status !== 401) throw error;
  const config = error.config;
  if (!config || config._retried || config.skipAuthRefresh || isAuthRoute(config.url) || !session) {
    throw error;
  }

  const tokenUsed = bearerOf(config);
  const current = session.getAccessToken();
  // If another request already refreshed while this one was in flight, just retry with the new token.
  if (!(current && tokenUsed && current !== tokenUsed)) {
    try {
      await refreshSession();
    } catch {
      throw error; // the original 401, normalised below
    }
  }

  // A fresh request: new headers object so the interceptors add the new token and a new request id.
  const headers = new AxiosHeaders(config.headers);
  headers.delete('Authorization');
  headers.delete('X-Request-ID');
  const retryConfig: InternalAxiosRequestConfig = { ...config, headers, _retried: true };
  return http.request(retryConfig) as Promise<AxiosResponse>;
});

/**
 * A download (`responseType: 'blob'`) that fails still carries the JSON error envelope, but as a
 * Blob: read it back into an object so the ApiError gets the backend's code, message and details.
 */
export async function decodeBlobErrorBody(error: unknown): Promise<unknown> {
  if (!(error instanceof AxiosError) || !error.response) return error;
  const body: unknown = error.response.data;
  if (typeof Blob === 'undefined' || !(body instanceof Blob)) return error;
  const type = body.type || String(error.response.headers?.['content-type'] ?? '');
  if (!/json/i.test(type)) return error;
  try {
    error.response.data = JSON.parse(await body.text());
  } catch {
    // not JSON after all: keep the generic http_<status> error
  }
  return error;
}

http.interceptors.response.use(undefined, async (error: unknown) =>
  Promise.reject(toApiError(await decodeBlobErrorBody(error))),
);

/**
 * Request options carrying an `Idempotency-Key` (writes that create money records: payments,
 * allocations, credit notes). One key per intended write, made when its form opens: a double
 * click or a retry then answers the first result instead of writing twice.
 */
export function idempotent(key?: string): { headers?: Record<string, string> } {
  return key ? { headers: { 'Idempotency-Key': key } } : {};
}

// --- the requests of the API modules: each answers the response's body ---------------------------------------
export async function getData<T>(url: string, config?: AxiosRequestConfig): Promise<T> {
  return (await http.get<T>(url, config)).data;
}

/** A GET with query parameters, blanks left out (see `cleanParams`). */
export function getQuery<T>(url: string, params: object): Promise<T> {
  return getData<T>(url, { params: cleanParams(params) });
}

export async function postData<T>(url: string, body?: unknown, config?: AxiosRequestConfig): Promise<T> {
  return (await http.post<T>(url, body, config)).data;
}

export async function patchData<T>(url: string, body: unknown): Promise<T> {
  return (await http.patch<T>(url, body)).data;
}

/** A DELETE; `reason` (for the audit log) goes in the query, left out when blank. */
export async function deleteData<T>(url: string, reason?: string): Promise<T> {
  return (await http.delete<T>(url, { params: reasonParams(reason) })).data;
}

/**
 * The usual endpoints of a collection of records at `path`: `get(id)`, `create(body)` (POST),
 * `update(id, body)` (PATCH) and `remove(id, reason?)` (DELETE; the reason goes to the audit log).
 */
export function collection<R, C, U>(path: string) {
  return {
    get: (id: number): Promise<R> => getData(`${path}/${id}`),
    create: (body: C): Promise<R> => postData(path, body),
    update: (id: number, body: U): Promise<R> => patchData(`${path}/${id}`, body),
    remove: (id: number, reason?: string): Promise<R> => deleteData(`${path}/${id}`, reason),
  };
}

export default http;
