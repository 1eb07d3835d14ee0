// The JSON API client shared by siaga112 pages: session cookie + CSRF header.

/** An error answer of the API: `{ error: { code, message, details } }`. */
export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.code = err.code || 'http_' + status;
    /** [{ field, message }] for validation errors. */
    this.issues = (err.details && Array.isArray(err.details.issues) && err.details.issues) || [];
  }
}

let csrfToken = '';

/** The token from login or GET /api/auth/me; sent on every state change. */
export function setCsrfToken(token) {
  csrfToken = token || '';
}

export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, { error: { code: 'network', message: 'Jaringan terputus · Network error' } });
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}
