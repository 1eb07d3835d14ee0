// Reports page: filtered call list, CSV link, call detail with timeline, daily summary.
import { api } from './api.js';
import { CLASSIFICATION_LABELS, END_LABELS, dateTime } from './labels.js';
import { connectLive } from './live.js';
import { ensureLogin, el, setLiveStatus } from './page-auth.js';

const $ = (id) => document.getElementById(id);

function query() {
  const data = new FormData($('filters'));
  const q = new URLSearchParams();
  for (const [k, v] of data.entries()) if (String(v).trim()) q.set(k, String(v).trim());
  return q;
}

async function search() {
  const q = query();
  $('csv').href = `/api/reports/calls.csv?${q}`;
  try {
    const { calls } = await api('GET', `/api/reports/calls?${q}`);
    $('calls').tBodies[0].replaceChildren(
      ...calls.map(({ call, outcome }) => {
        const row = el('tr', { dataset: { callId: call.id }, tabIndex: 0 },
          el('td', {}, dateTime(call.createdAt)), el('td', {}, call.callerNumber), el('td', {}, outcome?.confirmedCategory ?? call.category ?? '—'),
          el('td', {}, outcome ? CLASSIFICATION_LABELS[outcome.classification] : '—'), el('td', {}, call.operatorId ?? '—'),
          el('td', {}, call.connectedAt ? `${(call.connectedAt - call.createdAt) / 1000} s` : '—'), el('td', {}, END_LABELS[call.endReason] ?? call.state));
        row.addEventListener('click', () => detail(call.id));
        row.addEventListener('keydown', (e) => e.key === 'Enter' && detail(call.id));
        return row;
      }),
    );
    $('r-error').hidden = true;
  } catch (err) {
    $('r-error').textContent = err.message;
    $('r-error').hidden = false;
  }
}

async function detail(id) {
  const d = await api('GET', `/api/reports/calls/${encodeURIComponent(id)}`);
  $('detail').hidden = false;
  $('d-id').textContent = id;
  $('d-timeline').replaceChildren(...d.timeline.map((e) => el('li', {}, `${dateTime(e.at)} · ${e.type} · ${e.actor.kind}${e.actor.id ? ` ${e.actor.id}` : ''}`)));
}

async function summary() {
  const s = await api('GET', '/api/reports/daily');
  $('s-date').textContent = `${s.label} (${s.timeZone})`;
  const f = s.figures;
  const pct = (v) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);
  const rows = [['calls', f.calls], ['answered', f.answered], ['abandoned', f.abandoned], ['reportsHandled', f.reportsHandled], ['answeredWithin10s', pct(f.answeredWithin10s)], ['answeredWithin15s', pct(f.answeredWithin15s)], ['answeredWithin20s', pct(f.answeredWithin20s)], ['abandonRate', pct(f.abandonRate)], ['falseCallRate', pct(f.falseCallRate)]];
  $('s-figures').replaceChildren(...rows.map(([k, v]) => el('div', { class: 'tile kpi', dataset: { key: k } }, el('span', { class: 'tile-label' }, k), el('span', { class: 'tile-value' }, v), el('p', { class: 'how' }, s.definitions[k] ?? ''))));
}

(async () => {
  await ensureLogin(['supervisor', 'admin']);
  $('reports').hidden = false;
  // Live status only: the list is a query the supervisor runs, not a feed.
  connectLive({ onEvent: () => undefined, onStatus: setLiveStatus });
  $('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    search();
  });
  await Promise.all([search(), summary()]);
})();
