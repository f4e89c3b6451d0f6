import assert from 'node:assert/strict';

/**
 * JSON calls on the suite's server as the e2e admin (logged in on first use):
 * `api(method, path, body?, expected?)` asserts the status and answers the parsed body. A
 * FormData body is sent as multipart.
 */
export function adminApi(env) {
  let token = null;
  return async function api(method, pathAndQuery, body, expected = [200, 201]) {
    const base = env.server.baseURL;
    token ??= await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: env.server.adminUser, password: env.server.adminPassword }),
    })
      .then((res) => res.json())
      .then((answer) => answer.access_token);
    const init = { method, headers: { authorization: `Bearer ${token}` } };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(`${base}/api/v1${pathAndQuery}`, init);
    const text = await res.text();
    assert.ok(expected.includes(res.status), `${method} ${pathAndQuery}: HTTP ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

/** Opens an Arco select and picks the option with this text (the dropdown is rendered in <body>). */
export async function pick(page, testId, text) {
  await page.getByTestId(testId).click();
  await page.locator('.arco-select-dropdown .arco-select-option:visible', { hasText: text }).first().click();
}
