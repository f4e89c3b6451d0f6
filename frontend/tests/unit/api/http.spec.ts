import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import type { AxiosAdapter } from 'axios';
import http, { bindSession, isAuthRoute, type SessionBridge } from '@/api/http';
import { ApiError } from '@/api/errors';
import { setLocale } from '@/locale';
import { createMockAdapter, delay, envelope } from '../helpers/mock-adapter';

const originalAdapter = http.defaults.adapter;
let mock: ReturnType<typeof createMockAdapter>;
let token: string | null;
let session: SessionBridge & {
  refresh: Mock<() => Promise<void>>;
  onSessionExpired: Mock<() => void>;
};

/** A protected resource that accepts only the given token. */
function protectedResource(valid: () => string | null) {
  return (req: { headers: { get(name: string): unknown } }) =>
    req.headers.get('Authorization') === `Bearer ${valid()}`
      ? { status: 200, data: { ok: true } }
      : { status: 401, data: envelope('token_expired', 'expired') };
}

beforeEach(() => {
  mock = createMockAdapter();
  http.defaults.adapter = mock.adapter as AxiosAdapter;
  token = 'old-access';
  session = {
    getAccessToken: () => token,
    refresh: vi.fn(async () => {
      await delay(10);
      token = 'new-access';
    }),
    onSessionExpired: vi.fn(),
  };
  bindSession(session);
});

afterEach(() => {
  http.defaults.adapter = originalAdapter;
  bindSession(null);
});

describe('http client: request interceptors', () => {
  it('uses baseURL /api/v1 and adds Bearer token plus a unique X-Request-ID', async () => {
    mock.on('GET', '/customers', { status: 200, data: [] });
    await http.get('/customers');
    await http.get('/customers');
    const [first, second] = mock.callsTo('GET', '/customers');
    expect(http.defaults.baseURL).toBe('/api/v1');
    expect(first.headers.get('Authorization')).toBe('Bearer old-access');
    const id1 = first.headers.get('X-Request-ID');
    const id2 = second.headers.get('X-Request-ID');
    expect(id1).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id1).not.toBe(id2);
  });

  it('asks for the UI language on every request, following a switch', async () => {
    mock.on('GET', '/customers', { status: 200, data: [] });
    setLocale('zh-CN');
    await http.get('/customers');
    setLocale('en-US');
    await http.get('/customers');
    setLocale('zh-CN');
    const [first, second] = mock.callsTo('GET', '/customers');
    expect(first.headers.get('Accept-Language')).toBe('zh-CN');
    expect(second.headers.get('Accept-Language')).toBe('en-US');
  });

  it('keeps a caller-provided X-Request-ID and sends no token when logged out', async () => {
    token = null;
    mock.on('GET', '/ping', { status: 200, data: 'pong' });
    await http.get('/ping', { headers: { 'X-Request-ID': 'fixed-id' } });
    const [call] = mock.callsTo('GET', '/ping');
    expect(call.headers.get('X-Request-ID')).toBe('fixed-id');
    expect(call.headers.has('Authorization')).toBe(false);
  });

  it('does not send the access token to login and refresh', async () => {
    mock.on('POST', '/auth/login', { status: 200, data: {} });
    mock.on('POST', '/auth/refresh', { status: 200, data: {} });
    await http.post('/auth/login', { username: 'a', password: 'b' });
    await http.post('/auth/refresh', { refresh_token: 'r' });
    expect(mock.calls.every((c) => !c.headers.has('Authorization'))).toBe(true);
  });
});

describe('http client: error unwrapping', () => {
  it('rejects with a typed ApiError built from the backend envelope', async () => {
    mock.on('POST', '/customers', {
      status: 422,
      data: envelope('validation_error', '参数错误', [{ field: 'name', message: '必填' }]),
      headers: { 'X-Request-ID': 'srv-1' },
    });
    const err = await http.post('/customers', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 422,
      code: 'validation_error',
      message: '参数错误',
      details: [{ field: 'name', message: '必填' }],
      requestId: 'srv-1',
    });
  });

  it('turns a network failure into ApiError status 0', async () => {
    mock.on('GET', '/down', 'network-error');
    const err = await http.get('/down').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(0);
    expect((err as ApiError).code).toBe('network_error');
  });

  it('does not try to refresh on a 401 from an auth route', async () => {
    mock.on('POST', '/auth/login', {
      status: 401,
      data: envelope('invalid_credentials', '用户名或密码错误'),
    });
    const err = (await http.post('/auth/login', {}).catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('invalid_credentials');
    expect(err.message).toBe('用户名或密码错误');
    expect(session.refresh).not.toHaveBeenCalled();
    expect(mock.calls).toHaveLength(1);
  });

  it('passes non-401 errors through without refreshing', async () => {
    mock.on('GET', '/secret', { status: 403, data: envelope('forbidden', '无权限') });
    const err = (await http.get('/secret').catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(403);
    expect(session.refresh).not.toHaveBeenCalled();
  });
});

describe('http client: 401 refresh and retry', () => {
  it('refreshes once for concurrent 401s and retries each request with the new token', async () => {
    // Only the rotated token is accepted, so the first attempt (sent with "old-access") gets 401.
    const validToken = () => 'new-access';
    mock.on('GET', '/a', protectedResource(validToken));
    mock.on('GET', '/b', protectedResource(validToken));
    mock.on('GET', '/c', protectedResource(validToken));

    const results = await Promise.all([http.get('/a'), http.get('/b'), http.get('/c')]);

    expect(results.map((r) => r.data)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(session.refresh).toHaveBeenCalledTimes(1);
    expect(session.onSessionExpired).not.toHaveBeenCalled();
    for (const path of ['/a', '/b', '/c']) {
      const calls = mock.callsTo('GET', path);
      expect(calls.map((c) => c.headers.get('Authorization'))).toEqual([
        'Bearer old-access',
        'Bearer new-access',
      ]);
      // the retry is a new request with its own id
      expect(calls[0].headers.get('X-Request-ID')).not.toBe(calls[1].headers.get('X-Request-ID'));
    }
  });

  it('retries without another refresh when the token was already rotated meanwhile', async () => {
    // /slow (sent with the old token) answers only once /fast has refreshed and been retried,
    // so its 401 finds the token already rotated
    let fastDone!: () => void;
    const fastFinished = new Promise<void>((resolve) => (fastDone = resolve));
    mock.on('GET', '/slow', async (req) => {
      await fastFinished;
      return protectedResource(() => 'new-access')(req);
    });
    mock.on(
      'GET',
      '/fast',
      protectedResource(() => 'new-access'),
    );

    const slow = http.get('/slow');
    await http.get('/fast'); // 401 -> refresh -> retry OK
    fastDone();
    await slow;

    expect(session.refresh).toHaveBeenCalledTimes(1);
    expect(mock.callsTo('GET', '/slow').map((c) => c.headers.get('Authorization'))).toEqual([
      'Bearer old-access',
      'Bearer new-access',
    ]);
  });

  it('when the refresh fails: expires the session once and rejects every request with the 401', async () => {
    session.refresh.mockImplementation(async () => {
      await delay(5);
      throw new ApiError({ status: 401, code: 'invalid_refresh_token', message: 'reused' });
    });
    mock.on(
      'GET',
      '/a',
      protectedResource(() => 'never'),
    );
    mock.on(
      'GET',
      '/b',
      protectedResource(() => 'never'),
    );

    const errors = await Promise.all([http.get('/a').catch((e) => e), http.get('/b').catch((e) => e)]);

    expect(session.refresh).toHaveBeenCalledTimes(1);
    expect(session.onSessionExpired).toHaveBeenCalledTimes(1);
    for (const err of errors) {
      expect(err).toBeInstanceOf(ApiError);
      expect(err.status).toBe(401);
      expect(err.code).toBe('token_expired');
    }
    expect(mock.calls).toHaveLength(2); // no retries
  });

  it('retries at most once: a 401 on the retried request is final', async () => {
    mock.on(
      'GET',
      '/always-401',
      protectedResource(() => 'nothing-valid'),
    );
    const err = (await http.get('/always-401').catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(401);
    expect(session.refresh).toHaveBeenCalledTimes(1);
    expect(mock.callsTo('GET', '/always-401')).toHaveLength(2);
  });

  it('honours skipAuthRefresh', async () => {
    mock.on(
      'GET',
      '/probe',
      protectedResource(() => 'nothing-valid'),
    );
    const err = (await http.get('/probe', { skipAuthRefresh: true }).catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(401);
    expect(session.refresh).not.toHaveBeenCalled();
  });
});

describe('isAuthRoute', () => {
  it('recognises auth endpoints with or without the base URL', () => {
    expect(isAuthRoute('/auth/login')).toBe(true);
    expect(isAuthRoute('/api/v1/auth/refresh?x=1')).toBe(true);
    expect(isAuthRoute('/auth/logout/')).toBe(true);
    expect(isAuthRoute('/auth/me')).toBe(false);
    expect(isAuthRoute('/customers')).toBe(false);
  });
});
