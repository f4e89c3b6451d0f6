import { describe, expect, it } from 'vitest';
import { AxiosError, AxiosHeaders, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { ApiError, parseRetryAfter, toApiError } from '@/api/errors';

function axiosError(status: number, data: unknown, headers: Record<string, string> = {}): AxiosError {
  const config = { headers: new AxiosHeaders({ 'X-Request-ID': 'req-sent' }) } as InternalAxiosRequestConfig;
  const response: AxiosResponse = {
    status,
    statusText: '',
    data,
    headers: AxiosHeaders.from(headers),
    config,
  };
  return new AxiosError('failed', AxiosError.ERR_BAD_REQUEST, config, {}, response);
}

describe('toApiError', () => {
  it('unwraps the backend error envelope with field details', () => {
    const err = toApiError(
      axiosError(
        422,
        {
          error: {
            code: 'validation_error',
            message: '参数校验失败',
            details: [
              { field: 'email', message: '邮箱格式不正确' },
              { field: 'name', message: '不能为空' },
            ],
          },
        },
        { 'X-Request-ID': 'req-from-server' },
      ),
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.code).toBe('validation_error');
    expect(err.message).toBe('参数校验失败');
    expect(err.details).toHaveLength(2);
    expect(err.fieldError('email')).toBe('邮箱格式不正确');
    expect(err.fieldError('missing')).toBeUndefined();
    expect(err.requestId).toBe('req-from-server');
  });

  it('reads Retry-After on 429', () => {
    const err = toApiError(
      axiosError(
        429,
        { error: { code: 'too_many_attempts', message: '登录尝试过多，请稍后再试' } },
        { 'Retry-After': '42' },
      ),
    );
    expect(err.status).toBe(429);
    expect(err.code).toBe('too_many_attempts');
    expect(err.retryAfter).toBe(42);
    expect(err.details).toEqual([]);
  });

  it('falls back to http_<status> for non-envelope bodies and keeps the sent request id', () => {
    const err = toApiError(axiosError(502, '<html>Bad Gateway</html>'));
    expect(err.status).toBe(502);
    expect(err.code).toBe('http_502');
    expect(err.message).toContain('502');
    expect(err.requestId).toBe('req-sent');
  });

  it('uses a framework {"detail": "..."} message when the envelope is missing', () => {
    const err = toApiError(axiosError(405, { detail: 'Method Not Allowed' }));
    expect(err.code).toBe('http_405');
    expect(err.message).toBe('Method Not Allowed');
  });

  it('maps network failures and timeouts to status 0', () => {
    const config = { headers: new AxiosHeaders() } as InternalAxiosRequestConfig;
    expect(toApiError(new AxiosError('Network Error', AxiosError.ERR_NETWORK, config)).code).toBe(
      'network_error',
    );
    const timeout = toApiError(new AxiosError('timeout', AxiosError.ECONNABORTED, config));
    expect(timeout.status).toBe(0);
    expect(timeout.code).toBe('timeout');
  });

  it('returns an ApiError unchanged and wraps plain errors', () => {
    const original = new ApiError({ status: 403, code: 'forbidden', message: 'no' });
    expect(toApiError(original)).toBe(original);
    const wrapped = toApiError(new Error('boom'));
    expect(wrapped.code).toBe('unknown');
    expect(wrapped.message).toBe('boom');
  });
});

describe('parseRetryAfter', () => {
  it('accepts delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('30')).toBe(30);
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
