// The operator console: state, the offered/current call, the outcome form and
// the callback list, kept live through /api/live. No build step: a plain module.
import { api, ApiError, setCsrfToken } from './api.js';
import { connectLive } from './live.js';
import { CLASSIFICATION_LABELS, END_LABELS, PHASE_LABELS, STATE_LABELS, categoryLabel, dateTime, duration, reasonLabel } from './labels.js';

const $ = (id) => document.getElementById(id);
const TITLE = document.title;

const S = {
  user: null,
  config: null,
  operator: null,
  current: null,
  callbacks: [],
  mine: [],
  /** serverNow - Date.now(): timers follow the server's clock. */
  offset: 0,
  /** The call the outcome form is filled for. */
  formCallId: null,
  live: null,
  lastSaved: '',
};

const serverNow = () => Date.now() + S.offset;

/** Make an element with text content only (never HTML from data). */
function el(tag, props = {}, ...children) {
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

function showError(id, err) {
  const box = $(id);
  if (!err) {
    box.hidden = true;
    box.textContent = '';
    return;
  }
  box.textContent = err instanceof Error ? err.message : String(err);
  box.hidden = false;
}

// ------------------------------------------------------------------ login

function showLogin(message) {
  S.live?.close();
  S.live = null;
  S.user = null;
  $('console-view').hidden = true;
  $('user-box').hidden = true;
  $('login-view').hidden = false;
  setLive('closed');
  showError('login-error', message || null);
  $('username').focus();
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const username = $('username').value.trim();
  const password = $('password').value;
  if (!username || !password) {
    showError('login-error', 'Isi nama pengguna dan kata sandi · Enter username and password');
    return;
  }
  $('login-submit').disabled = true;
  try {
    const r = await api('POST', '/api/auth/login', { username, password });
    $('password').value = '';
    await start(r.user, r.csrfToken);
  } catch (err) {
    showError('login-error', err);
  } finally {
    $('login-submit').disabled = false;
  }
});

$('logout').addEventListener('click', async () => {
  if (S.user?.role === 'operator') await api('POST', '/api/me/offline').catch(() => undefined);
  await api('POST', '/api/auth/logout').catch(() => undefined);
  showLogin();
});

// ------------------------------------------------------------------ start

async function start(user, csrfToken) {
  S.user = user;
  setCsrfToken(csrfToken);
  S.config = await api('GET', '/api/console/config');
  $('login-view').hidden = true;
  $('console-view').hidden = false;
  $('user-box').hidden = false;
  $('user-name').textContent = `${user.displayName} (${user.username})`;
  const operator = user.role === 'operator';
  $('role-note').hidden = operator;
  $('role-note').textContent = operator ? '' : `Konsol ini untuk operator; Anda masuk sebagai ${user.role} · This console is for operators; you are ${user.role}.`;
  $('status-panel').hidden = !operator;
  $('call-panel').hidden = !operator;
  buildStaticOptions();
  S.live?.close();
  S.live = connectLive({ onEvent: () => scheduleRefresh(), onStatus: onLiveStatus });
  await refresh();
  $('main').focus();
}

function buildStaticOptions() {
  const reason = $('reason');
  reason.replaceChildren(...S.config.notReadyReasons.map((r) => el('option', { value: r }, reasonLabel(r))));
  $('wu-category').replaceChildren(
    el('option', { value: '' }, '— pilih · choose —'),
    ...S.config.categories.map((c) => el('option', { value: c.id }, categoryLabel(c.displayName, c.id))),
  );
  $('wu-classification-options').replaceChildren(
    ...S.config.classifications.map((c) =>
      el('label', {}, el('input', { type: 'radio', name: 'classification', value: c, id: `wu-cls-${c}` }), CLASSIFICATION_LABELS[c] || c),
    ),
  );
  $('wu-agencies-options').replaceChildren(
    ...S.config.agencies.map((a) =>
      el('label', {}, el('input', { type: 'checkbox', name: 'agencies', value: a.id, id: `wu-ag-${a.id}` }), `${a.name} ${a.numbers.join('/')}`),
    ),
  );
}

function setLive(status) {
  const box = $('live-status');
  box.className = 'live ' + (status === 'open' ? 'live-on' : status === 'reconnecting' ? 'live-wait' : 'live-off');
  box.textContent = status === 'open' ? 'Langsung · Live' : status === 'reconnecting' ? 'Menyambung ulang… · Reconnecting…' : 'Tidak tersambung · Offline';
  box.dataset.status = status;
}

async function onLiveStatus(status) {
  setLive(status);
  if (status === 'open') return scheduleRefresh();
  if (status === 'closed') {
    // A refused stream usually means the session ended.
    try {
      await api('GET', '/api/auth/me');
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) showLogin('Sesi berakhir, silakan masuk lagi · Session ended, please log in again');
    }
  }
}

// ---------------------------------------------------------------- refresh

let refreshTimer = 0;
let refreshing = null;
let again = false;

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refresh(), 30);
}

async function refresh() {
  if (!S.user) return;
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      const operator = S.user.role === 'operator';
      const [me, call, callbacks] = await Promise.all([
        operator ? api('GET', '/api/me/operator') : null,
        operator ? api('GET', '/api/me/call') : null,
        S.user.role !== 'admin' ? api('GET', '/api/callbacks') : { callbacks: [], mine: [] },
      ]);
      if (me) {
        S.offset = me.serverNow - Date.now();
        S.operator = me.operator;
      }
      S.current = call ? call.current : null;
      S.callbacks = callbacks.callbacks;
      S.mine = callbacks.mine;
      render();
      showError('callbacks-error', null);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return showLogin('Sesi berakhir, silakan masuk lagi · Session ended, please log in again');
      showError('callbacks-error', err);
    } finally {
      refreshing = null;
      if (again) {
        again = false;
        scheduleRefresh();
      }
    }
  })();
  return refreshing;
}

// ----------------------------------------------------------------- render

function render() {
  if (S.operator) renderState();
  renderCall();
  renderWrapUp();
  renderCallbacks();
  tick();
}

function renderState() {
  const op = S.operator;
  const [main, sub] = STATE_LABELS[op.state] || [op.state, ''];
  const box = $('state');
  box.className = `state state-${op.state}`;
  box.dataset.state = op.state;
  $('state-main').textContent = main;
  $('state-sub').textContent = op.state === 'not_ready' && op.reason ? `Tidak siap: ${reasonLabel(op.reason)}` : sub;
  const sp = $('softphone');
  sp.className = 'softphone ' + (op.softphoneRegistered ? 'softphone-on' : 'softphone-off');
  sp.dataset.registered = String(op.softphoneRegistered);
  sp.textContent = op.softphoneRegistered
    ? `Softphone terdaftar · registered (${op.endpoint})`
    : `Softphone TIDAK terdaftar · NOT registered (${op.endpoint || '—'}) — panggilan tidak bisa masuk · no calls can reach you`;
  const calm = ['offline', 'ready', 'not_ready'].includes(op.state);
  $('btn-ready').disabled = !calm || op.state === 'ready';
  $('btn-not-ready').disabled = !calm;
  $('reason').disabled = !calm;
  $('btn-offline').disabled = !calm || op.state === 'offline';
  document.title = op.state === 'offered' ? `BERDERING · RINGING — ${TITLE}` : TITLE;
}

function renderCall() {
  const cur = S.current;
  $('no-call').hidden = !!cur;
  $('no-call').textContent = (S.lastSaved ? S.lastSaved + ' ' : '') + 'Tidak ada panggilan · No call';
  $('call').hidden = !cur;
  const announce = $('call-announce');
  if (!cur) {
    announce.dataset.key = '';
    return;
  }
  const c = cur.call;
  const phase = $('call-phase');
  phase.className = `phase phase-${cur.phase}`;
  phase.dataset.phase = cur.phase;
  phase.textContent = PHASE_LABELS[cur.phase] || cur.phase;
  $('caller-number').textContent = c.callerNumber;
  $('call-category').textContent = categoryLabel(c.categoryName, c.category || '—');
  $('call-language').textContent = c.languageName || c.language;
  const waited = $('call-waited');
  if (c.connectedAt || c.endedAt) {
    delete waited.dataset.since;
    waited.textContent = duration(c.waitedSeconds);
  } else {
    waited.dataset.since = String(c.createdAt);
  }
  const timer = $('call-timer');
  delete timer.dataset.since;
  delete timer.dataset.until;
  timer.textContent = '—';
  if (cur.phase === 'on_call' && c.connectedAt) {
    $('call-timer-label').textContent = 'Durasi · Duration';
    timer.dataset.since = String(c.connectedAt);
  } else if (cur.phase === 'wrap_up' && cur.wrapUpUntil) {
    $('call-timer-label').textContent = 'Sisa wrap-up · Wrap-up left';
    timer.dataset.until = String(cur.wrapUpUntil);
  } else if (c.connectedAt && c.endedAt) {
    $('call-timer-label').textContent = 'Durasi · Duration';
    timer.textContent = duration((c.endedAt - c.connectedAt) / 1000);
  }
  const loc = c.location;
  const parts = [];
  if (loc?.text) parts.push(loc.text);
  if (loc?.latitude !== undefined) parts.push(`${loc.latitude.toFixed(5)}, ${loc.longitude.toFixed(5)}${loc.accuracyM ? ` (±${Math.round(loc.accuracyM)} m)` : ''}`);
  $('call-location').textContent = parts.length ? parts.join(' — ') : 'Tidak diketahui · Unknown';

  const rows = cur.history.map((h) =>
    el(
      'tr',
      {},
      el('td', {}, dateTime(h.createdAt)),
      el('td', {}, categoryLabel(S.config.categories.find((k) => k.id === h.category)?.displayName, h.category || '—')),
      el('td', {}, h.classification ? el('span', { class: `cls cls-${h.classification}` }, CLASSIFICATION_LABELS[h.classification]) : '—'),
      el('td', {}, h.endReason ? END_LABELS[h.endReason] || h.endReason : h.state),
    ),
  );
  $('history').tBodies[0].replaceChildren(...rows);
  $('history').hidden = rows.length === 0;
  $('history-empty').hidden = rows.length > 0;

  // Announce a new offer once to screen readers, without moving the focus.
  const key = `${c.id}:${cur.phase}`;
  if (announce.dataset.key !== key) {
    announce.dataset.key = key;
    announce.textContent = `${PHASE_LABELS[cur.phase]}. ${c.callerNumber}. ${categoryLabel(c.categoryName, '')}`;
  }
}

function renderWrapUp() {
  const cur = S.current;
  const show = !!cur && ['on_call', 'wrap_up', 'callback'].includes(cur.phase) && !cur.outcome;
  $('wrapup-panel').hidden = !show;
  if (!show) return;
  if (S.formCallId === cur.call.id) return; // keep what the operator typed
  S.formCallId = cur.call.id;
  const form = $('wrapup-form');
  form.reset();
  form.dataset.callId = cur.call.id;
  $('wu-category').value = cur.call.category || '';
  $('wu-location').value = cur.call.location?.text || '';
  clearFieldErrors();
  $('wrapup-saved').hidden = true;
}

function renderCallbacks() {
  const rows = [];
  for (const t of S.mine) {
    rows.push(
      el(
        'tr',
        { dataset: { taskId: t.id, callId: t.callId, mine: 'true' } },
        el('td', {}, dateTime(t.createdAt)),
        el('td', { class: 'num' }, t.callerNumber),
        el('td', {}, categoryLabel(t.categoryName, t.category || '—')),
        el('td', { dataset: { since: String(t.createdAt) } }, ''),
        el('td', {}, el('strong', {}, 'Diambil Anda · Taken by you')),
      ),
    );
  }
  for (const t of S.callbacks) {
    const button = el('button', { type: 'button', class: 'btn btn-alert take', dataset: { taskId: t.id } }, 'Telepon balik · Call back');
    button.setAttribute('aria-label', `Telepon balik ${t.callerNumber} · Call back ${t.callerNumber}`);
    if (S.user.role !== 'operator') button.disabled = true;
    rows.push(
      el(
        'tr',
        { dataset: { taskId: t.id, callId: t.callId } },
        el('td', {}, dateTime(t.createdAt)),
        el('td', { class: 'num' }, t.callerNumber),
        el('td', {}, categoryLabel(t.categoryName, t.category || '—')),
        el('td', { dataset: { since: String(t.createdAt) } }, ''),
        el('td', {}, button),
      ),
    );
  }
  // Keep the focus on the list when the row under it goes away.
  const hadFocus = $('callbacks').contains(document.activeElement);
  $('callbacks').tBodies[0].replaceChildren(...rows);
  $('callbacks').hidden = rows.length === 0;
  $('callbacks-empty').hidden = rows.length > 0;
  $('callbacks-count').textContent = S.callbacks.length ? String(S.callbacks.length) : '';
  if (hadFocus) ($('callbacks').querySelector('button.take') || $('callbacks-h')).focus?.();
}

/** Once a second: elapsed and remaining times. */
function tick() {
  const now = serverNow();
  for (const node of document.querySelectorAll('[data-since]')) node.textContent = duration((now - Number(node.dataset.since)) / 1000);
  for (const node of document.querySelectorAll('[data-until]')) node.textContent = duration((Number(node.dataset.until) - now) / 1000);
}
setInterval(tick, 1000);

// ---------------------------------------------------------------- actions

async function act(fn) {
  showError('status-error', null);
  try {
    const r = await fn();
    if (r && r.operator) {
      S.operator = r.operator;
      renderState();
    }
  } catch (err) {
    showError('status-error', err);
  }
  scheduleRefresh();
}

$('btn-ready').addEventListener('click', () => act(() => api('POST', '/api/me/ready')));
$('btn-not-ready').addEventListener('click', () => act(() => api('POST', '/api/me/not-ready', { reason: $('reason').value })));
$('btn-offline').addEventListener('click', () => act(() => api('POST', '/api/me/offline')));

$('callbacks').addEventListener('click', async (e) => {
  const button = e.target instanceof Element ? e.target.closest('button.take') : null;
  if (!button) return;
  button.disabled = true;
  showError('callbacks-error', null);
  try {
    await api('POST', `/api/callbacks/${encodeURIComponent(button.dataset.taskId)}/take`);
  } catch (err) {
    showError('callbacks-error', err instanceof ApiError && err.status === 409 ? 'Sudah diambil operator lain · Already taken by another operator' : err);
  }
  scheduleRefresh();
});

const FIELD_TARGETS = {
  confirmedCategory: 'wu-category',
  classification: 'wu-classification',
  agencies: 'wu-agencies',
  location: 'wu-location',
  notes: 'wu-notes',
};
const FIELD_NAMES = {
  confirmedCategory: 'Kategori sebenarnya · Confirmed category',
  classification: 'Klasifikasi · Classification',
  agencies: 'Instansi · Agencies',
  location: 'Lokasi · Location',
  notes: 'Catatan · Notes',
};

function clearFieldErrors() {
  for (const node of document.querySelectorAll('#wrapup-form .field-error')) node.remove();
  for (const node of document.querySelectorAll('#wrapup-form [aria-invalid]')) node.removeAttribute('aria-invalid');
  $('wrapup-errors').hidden = true;
  $('wrapup-errors').replaceChildren();
}

function showFieldErrors(issues, message) {
  clearFieldErrors();
  const items = [];
  for (const issue of issues) {
    const root = String(issue.field).split('.')[0];
    const targetId = FIELD_TARGETS[root];
    const label = FIELD_NAMES[root] || issue.field;
    items.push(el('li', {}, `${label}: ${issue.message}`));
    if (!targetId) continue;
    const target = $(targetId);
    target.setAttribute('aria-invalid', 'true');
    const msgId = `${targetId}-error`;
    if (!$(msgId)) {
      const msg = el('p', { class: 'field-error', id: msgId }, issue.message);
      (target.tagName === 'FIELDSET' ? target : target.parentElement).append(msg);
      target.setAttribute('aria-describedby', msgId);
    }
  }
  const box = $('wrapup-errors');
  box.replaceChildren(el('strong', {}, 'Periksa isian · Please check: '), items.length ? el('ul', {}, ...items) : message);
  box.hidden = false;
  box.focus();
}

$('wrapup-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const callId = form.dataset.callId;
  if (!callId) return;
  const data = new FormData(form);
  const body = {
    confirmedCategory: data.get('confirmedCategory') || undefined,
    classification: data.get('classification') || undefined,
    agencies: data.getAll('agencies'),
    notes: String(data.get('notes') || ''),
  };
  const location = String(data.get('location') || '').trim();
  if (location) body.location = { text: location, source: 'operator' };
  $('wu-submit').disabled = true;
  try {
    await api('POST', `/api/calls/${encodeURIComponent(callId)}/outcome`, body);
    clearFieldErrors();
    S.lastSaved = 'Hasil panggilan tersimpan · Outcome saved.';
    S.formCallId = null;
    $('wrapup-saved').textContent = S.lastSaved;
    $('wrapup-saved').hidden = false;
    $('call-announce').textContent = S.lastSaved;
    await refresh();
  } catch (err) {
    if (err instanceof ApiError && err.issues.length) showFieldErrors(err.issues, err.message);
    else showFieldErrors([], err.message);
  } finally {
    $('wu-submit').disabled = false;
  }
});

// ------------------------------------------------------------------- boot

(async () => {
  try {
    const me = await api('GET', '/api/auth/me');
    await start(me.user, me.csrfToken);
  } catch {
    showLogin();
  }
})();
