// Log-in for the supervisor and admin pages: the same session and CSRF token
// as the operator console (POST /api/auth/login, GET /api/auth/me).
import { api, setCsrfToken } from './api.js';

const $ = (id) => document.getElementById(id);

/**
 * Resolve with the logged-in user once they have one of `roles`; shows the
 * page's #login-view form until then.
 */
export function ensureLogin(roles) {
  return new Promise((resolve) => {
    const accept = (user, csrf) => {
      if (!roles.includes(user.role)) {
        show(`Halaman ini untuk ${roles.join(' / ')}; Anda ${user.role} · This page is for ${roles.join(' or ')}; you are ${user.role}.`);
        return false;
      }
      setCsrfToken(csrf);
      $('login-view').hidden = true;
      $('user-box').hidden = false;
      $('user-name').textContent = `${user.displayName} (${user.username})`;
      resolve(user);
      return true;
    };
    const show = (message) => {
      $('login-view').hidden = false;
      $('login-error').hidden = !message;
      $('login-error').textContent = message || '';
      $('username').focus();
    };
    $('login-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      $('login-submit').disabled = true;
      try {
        const r = await api('POST', '/api/auth/login', { username: $('username').value.trim(), password: $('password').value });
        $('password').value = '';
        accept(r.user, r.csrfToken);
      } catch (err) {
        show(err.message);
      } finally {
        $('login-submit').disabled = false;
      }
    });
    $('logout').addEventListener('click', async () => {
      await api('POST', '/api/auth/logout').catch(() => undefined);
      location.reload();
    });
    api('GET', '/api/auth/me').then((me) => accept(me.user, me.csrfToken), () => show());
  });
}

/** Element with text content only (never HTML from data). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k in node) node[k] = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

export function setLiveStatus(status) {
  const box = $('live-status');
  box.dataset.status = status;
  box.className = `live ${status === 'open' ? 'live-on' : status === 'reconnecting' ? 'live-wait' : 'live-off'}`;
  box.textContent = status === 'open' ? 'Langsung · Live' : status === 'reconnecting' ? 'Menyambung ulang · Reconnecting' : 'Tidak tersambung · Offline';
}
