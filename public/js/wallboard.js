// The supervisor wallboard: queue, operators by state and today's figures,
// refreshed on every live event (GET /api/live) and every few seconds.
import { api } from './api.js';
import { connectLive } from './live.js';
import { barChart, columnChart } from './charts.js';
import { STATE_LABELS, categoryLabel, duration } from './labels.js';
import { ensureLogin, el, setLiveStatus } from './page-auth.js';

const $ = (id) => document.getElementById(id);
let data = null;
let offset = 0;
let pending = null;

const pct = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1).replace(/\.0$/, '')} %`);
const secs = (v) => (v === null || v === undefined ? '—' : `${v.toFixed(1).replace(/\.0$/, '')} s`);

/** The figures shown, their words, format and (for service levels) the standard they are held to. */
const KPIS = [
  { key: 'answeredWithin10s', label: 'Dijawab ≤ 10 s · Answered within 10 s', fmt: pct, target: 0.9, targetText: 'EU 112 / NFPA: 90 %' },
  { key: 'answeredWithin15s', label: 'Dijawab ≤ 15 s · Answered within 15 s', fmt: pct, target: 0.9, targetText: 'NENA: 90 %' },
  { key: 'answeredWithin20s', label: 'Dijawab ≤ 20 s · Answered within 20 s', fmt: pct, target: 0.95, targetText: 'NENA: 95 %' },
  { key: 'averageAnswerSeconds', label: 'Rata-rata waktu jawab · Average answer time', fmt: secs },
  { key: 'abandonRate', label: 'Ditutup sebelum dijawab · Abandon rate', fmt: pct },
  { key: 'falseCallRate', label: 'Panggilan palsu · False-call rate', fmt: pct },
];

function scheduleRefresh() {
  clearTimeout(pending);
  pending = setTimeout(refresh, 150);
}

async function refresh() {
  try {
    data = await api('GET', '/api/supervisor/wallboard');
    offset = data.serverNow - Date.now();
    $('wb-error').hidden = true;
    render();
  } catch (err) {
    $('wb-error').textContent = err.message;
    $('wb-error').hidden = false;
  }
}

function render() {
  const { queue, operators, today, categories } = data;
  $('wb-waiting').textContent = String(queue.length);
  $('wb-waiting').dataset.value = String(queue.length);
  $('wb-waiting-tile').dataset.level = queue.length > 0 ? 'alert' : 'ok';
  renderLongest();

  $('wb-operators').replaceChildren(
    ...Object.entries(operators.byState).map(([state, n]) =>
      el('li', { class: `state-${state}`, dataset: { state, value: String(n) } }, el('span', {}, STATE_LABELS[state]?.[0] ?? state), el('span', { class: 'n' }, n)),
    ),
  );

  const rows = $('wb-queue').tBodies[0];
  rows.replaceChildren(
    ...queue.calls.map((c) => el('tr', { dataset: { callId: c.callId } }, el('td', {}, categoryLabel(c.categoryName, c.category)), el('td', {}, c.priority), el('td', { class: 'waited', dataset: { queuedAt: String(c.queuedAt) } }, duration(c.waitedSeconds)))),
  );
  $('wb-queue').hidden = queue.calls.length === 0;
  $('wb-waiting-empty').hidden = queue.calls.length > 0;

  const f = today.figures;
  $('wb-date').textContent = `${today.date} (${today.timeZone}) · ${f.calls} panggilan · calls, ${f.answered} dijawab · answered`;
  $('wb-date').dataset.calls = String(f.calls);
  $('wb-date').dataset.answered = String(f.answered);
  $('wb-kpis').replaceChildren(
    ...KPIS.map((k) => {
      const v = f[k.key];
      const met = k.target === undefined || v === null ? undefined : String(v >= k.target);
      return el(
        'div',
        { class: 'tile kpi', id: `kpi-${k.key}`, dataset: { value: v === null ? '' : String(v), ...(met ? { met } : {}) } },
        el('span', { class: 'tile-label' }, k.label),
        el('span', { class: 'tile-value' }, k.fmt(v)),
        ...(k.targetText ? [el('span', { class: 'target' }, `Standar · Standard ${k.targetText}`)] : []),
        el('p', { class: 'how' }, today.definitions[k.key] ?? ''),
      );
    }),
  );

  const hours = f.byHour.map((_, h) => String(h).padStart(2, '0'));
  $('wb-by-hour').replaceChildren(columnChart({ values: f.byHour, labels: hours, title: 'Panggilan per jam hari ini · Calls by hour today', labelEvery: 2 }));
  $('wb-by-hour-how').textContent = `Jam lokal saat panggilan masuk (${today.timeZone}) · Local hour the call reached siaga112.`;
  const cats = Object.entries(f.byCategory)
    .sort((a, b) => b[1] - a[1])
    .map(([key, value]) => ({ key, value, label: categoryLabel(categories[key], key) }));
  $('wb-by-category').replaceChildren(barChart({ rows: cats, title: 'Panggilan per kategori hari ini · Calls by category today' }));
}

function renderLongest() {
  if (!data) return;
  const now = Date.now() + offset;
  const longest = data.queue.calls.reduce((m, c) => Math.max(m, Math.round((now - c.queuedAt) / 1000)), 0);
  $('wb-longest').textContent = duration(longest);
  $('wb-longest').dataset.value = String(longest);
  $('wb-longest-tile').dataset.level = longest >= 10 ? 'alert' : 'ok';
  for (const td of document.querySelectorAll('#wb-queue td.waited')) td.textContent = duration(Math.round((now - Number(td.dataset.queuedAt)) / 1000));
  $('wb-clock').textContent = new Date(now).toLocaleTimeString('id-ID');
}

(async () => {
  await ensureLogin(['supervisor', 'admin']);
  $('board').hidden = false;
  connectLive({
    onEvent: () => scheduleRefresh(),
    onStatus: (s) => {
      setLiveStatus(s);
      if (s === 'open') scheduleRefresh();
    },
  });
  await refresh();
  setInterval(renderLongest, 1000);
  // Today's figures also change with the clock (a new day); events cover the rest.
  setInterval(scheduleRefresh, 15000);
})();
