// Admin page: dialplan files, check (file:line), apply (refused unless the
// check is clean; verified by the server), audit log and accounts.
import { api, ApiError } from './api.js';
import { connectLive } from './live.js';
import { dateTime } from './labels.js';
import { ensureLogin, el, setLiveStatus } from './page-auth.js';

const $ = (id) => document.getElementById(id);
const issueText = (i) => `${i.file}:${i.line}: ${i.severity === 'warning' ? 'warning: ' : ''}${i.message}`;
let files = [];

function showIssues(issues) {
  $('check-issues').replaceChildren(...issues.map((i) => el('li', { dataset: { file: i.file, line: String(i.line), severity: i.severity, code: i.code } }, issueText(i))));
  renderFiles(issues);
}

function renderFiles(issues = []) {
  $('dp-files').replaceChildren(
    ...files.map((f) => {
      const marks = new Map(issues.filter((i) => i.file === f.file).map((i) => [i.line, i.severity]));
      const pre = el('pre', { class: 'source', tabIndex: 0, 'aria-label': f.file });
      pre.append(...f.text.split('\n').map((line, n) => el('span', { class: 'ln', dataset: { line: String(n + 1), ...(marks.has(n + 1) ? { issue: marks.get(n + 1) } : {}) } }, line || ' ')));
      return el('div', {}, el('h3', {}, f.file), pre);
    }),
  );
}

async function loadFiles() {
  const r = await api('GET', '/api/admin/dialplan');
  files = r.files;
  $('dp-app').textContent = r.app;
  $('btn-apply').disabled = !r.canApply;
  renderFiles();
}

async function check() {
  $('apply-result').replaceChildren();
  await loadFiles();
  const { check: result } = await api('POST', '/api/admin/dialplan/check');
  $('check-result').dataset.ok = String(result.ok);
  $('check-result').replaceChildren(
    el('p', { class: result.ok ? 'result-ok' : 'result-bad' }, result.ok
      ? `OK — ${result.files.join(', ')}: tanpa kesalahan · no errors${result.warnings ? `, ${result.warnings} peringatan · warning(s)` : ''}`
      : `${result.errors} kesalahan · error(s) — perbaiki sebelum menerapkan · fix before applying`),
  );
  showIssues(result.issues);
}

async function apply() {
  $('apply-result').replaceChildren();
  try {
    const { applied } = await api('POST', '/api/admin/dialplan/apply');
    $('apply-result').dataset.result = 'ok';
    $('apply-result').replaceChildren(
      el('p', { class: 'result-ok' }, `Diterapkan dan diverifikasi · Applied and verified: ${applied.verified.map((v) => `${v.extension}@${v.context} → ${v.stasis}`).join(', ')}`),
      el('p', { class: 'hint' }, `Asterisk: ${applied.reload.join(' ')}`),
    );
    showIssues(applied.check.issues);
  } catch (err) {
    const refused = err instanceof ApiError && err.code === 'dialplan_not_clean';
    // Show why: the check as it stands now (it clears the old apply result first).
    if (refused) await check().catch(() => undefined);
    $('apply-result').dataset.result = refused ? 'refused' : 'failed';
    $('apply-result').replaceChildren(el('p', { class: 'result-bad' }, refused ? `Ditolak · Refused: ${err.message}` : `Gagal · Failed: ${err.message}`));
  } finally {
    await loadAudit();
  }
}

async function loadAudit() {
  const { entries } = await api('GET', '/api/admin/audit?limit=50');
  $('audit').tBodies[0].replaceChildren(
    ...entries.map((e) => el('tr', { dataset: { action: e.action, result: e.result } }, el('td', {}, dateTime(e.at)), el('td', {}, `${e.actor} (${e.actorRole})`), el('td', {}, e.action), el('td', { class: e.result === 'ok' ? 'result-ok' : 'result-bad' }, e.result))),
  );
}

async function loadAccounts() {
  const { accounts } = await api('GET', '/api/accounts');
  $('accounts').tBodies[0].replaceChildren(
    ...accounts.map((a) => el('tr', {}, el('td', {}, `${a.displayName} (${a.username ?? a.id})`), el('td', {}, a.role), el('td', {}, a.endpoint || '—'), el('td', {}, a.disabled ? 'nonaktif · disabled' : 'aktif · active'))),
  );
}

const guarded = (fn) => async () => {
  $('btn-check').disabled = true;
  try {
    await fn();
    $('admin-error').hidden = true;
  } catch (err) {
    $('admin-error').textContent = err.message;
    $('admin-error').hidden = false;
  } finally {
    $('btn-check').disabled = false;
  }
};

(async () => {
  await ensureLogin(['admin']);
  $('admin').hidden = false;
  $('btn-check').addEventListener('click', guarded(check));
  $('btn-apply').addEventListener('click', guarded(apply));
  connectLive({ onEvent: () => undefined, onStatus: setLiveStatus });
  await guarded(async () => {
    await loadFiles();
    await Promise.all([loadAudit(), loadAccounts()]);
  })();
})();
