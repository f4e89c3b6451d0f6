/**
 * A tiny programmable axios adapter: the backend is the outside world for unit tests, so the
 * network is replaced by handlers keyed on "METHOD /path" (paths relative to /api/v1).
 */
import {
  AxiosError,
  AxiosHeaders,
  type AxiosAdapter,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import { afterEach, beforeEach } from 'vitest';
import http, { bindSession } from '@/api/http';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: AxiosHeaders;
  body: unknown;
  /** query parameters as given to axios (before serialisation) */
  params: Record<string, unknown> | undefined;
  responseType: string | undefined;
}

export type Reply = { status: number; data?: unknown; headers?: Record<string, string> } | 'network-error';
export type Handler = (request: RecordedRequest) => Reply | Promise<Reply>;

export function envelope(code: string, message: string, details: unknown[] = []) {
  return { error: { code, message, details } };
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createMockAdapter() {
  const calls: RecordedRequest[] = [];
  const handlers = new Map<string, Handler>();

  const adapter: AxiosAdapter = async (config: InternalAxiosRequestConfig) => {
    const request: RecordedRequest = {
      method: (config.method ?? 'get').toUpperCase(),
      url: config.url ?? '',
      headers: new AxiosHeaders(config.headers), // a copy: interceptors may mutate the original
      body: typeof config.data === 'string' && config.data ? JSON.parse(config.data) : config.data,
      params: config.params,
      responseType: config.responseType,
    };
    calls.push(request);
    const handler = handlers.get(`${request.method} ${request.url}`);
    const reply: Reply = handler
      ? await handler(request)
      : { status: 404, data: envelope('not_found', `no handler for ${request.method} ${request.url}`) };

    if (reply === 'network-error') {
      throw new AxiosError('Network Error', AxiosError.ERR_NETWORK, config, {});
    }
    const response: AxiosResponse = {
      data: reply.data ?? '',
      status: reply.status,
      statusText: String(reply.status),
      headers: AxiosHeaders.from(reply.headers ?? {}),
      config,
      request: {},
    };
    const ok = config.validateStatus ? config.validateStatus(reply.status) : reply.status < 400;
    if (!ok) {
      throw new AxiosError(
        `Request failed with status code ${reply.status}`,
        reply.status >= 500 ? AxiosError.ERR_BAD_RESPONSE : AxiosError.ERR_BAD_REQUEST,
        config,
        {},
        response,
      );
    }
    return response;
  };

  return {
    adapter,
    calls,
    on(method: string, url: string, handler: Handler | Reply) {
      handlers.set(`${method.toUpperCase()} ${url}`, typeof handler === 'function' ? handler : () => handler);
    },
    callsTo(method: string, url: string) {
      return calls.filter((c) => c.method === method.toUpperCase() && c.url === url);
    },
  };
}

/**
 * Routes the app's one axios client to a fresh mock adapter for every test of the file (or
 * `describe` block) that calls it, signed in with access token `acc-1`; the returned object
 * always stands for the current test's mock (`mock.on(…)`, `mock.calls`).
 */
export function mockTheApi(): MockAdapter {
  let current: MockAdapter | undefined;
  const original = http.defaults.adapter;
  beforeEach(() => {
    current = createMockAdapter();
    http.defaults.adapter = current.adapter as AxiosAdapter;
    bindSession({ getAccessToken: () => 'acc-1', refresh: async () => {}, onSessionExpired: () => {} });
  });
  afterEach(() => {
    http.defaults.adapter = original;
    bindSession(null);
  });
  return new Proxy({} as MockAdapter, {
    get: (_, key) => {
      if (!current) throw new Error('mockTheApi(): used outside a test');
      return Reflect.get(current, key);
    },
  });
}

export type MockAdapter = ReturnType<typeof createMockAdapter>;
