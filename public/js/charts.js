// Small inline-SVG charts for the wallboard and reports: no chart library.
const NS = 'http://www.w3.org/2000/svg';

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/**
 * Vertical bars, one per value (e.g. 24 hours). Each bar has a <title> for
 * screen readers and hover, and data-value for tests.
 * @param {{ values: number[], labels: string[], title: string, labelEvery?: number }} o
 */
export function columnChart({ values, labels, title, labelEvery = 1 }) {
  const w = 720;
  const h = 220;
  const pad = { l: 34, r: 8, t: 12, b: 28 };
  const max = Math.max(1, ...values);
  const bw = (w - pad.l - pad.r) / values.length;
  const svg = svgEl('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': title, class: 'chart' });
  svg.append(svgEl('title', {}, title));
  for (const t of [0, Math.ceil(max / 2), max]) {
    const y = h - pad.b - ((h - pad.t - pad.b) * t) / max;
    svg.append(svgEl('line', { x1: pad.l, x2: w - pad.r, y1: y, y2: y, class: 'grid' }), svgEl('text', { x: pad.l - 6, y: y + 4, 'text-anchor': 'end', class: 'axis' }, t));
  }
  values.forEach((v, i) => {
    const bh = ((h - pad.t - pad.b) * v) / max;
    const x = pad.l + i * bw;
    const bar = svgEl('rect', { x: x + 2, y: h - pad.b - bh, width: Math.max(1, bw - 4), height: bh, class: 'bar', 'data-label': labels[i], 'data-value': v });
    bar.append(svgEl('title', {}, `${labels[i]}: ${v}`));
    svg.append(bar);
    if (i % labelEvery === 0) svg.append(svgEl('text', { x: x + bw / 2, y: h - pad.b + 16, 'text-anchor': 'middle', class: 'axis' }, labels[i]));
  });
  return svg;
}

/**
 * Horizontal bars with the label and count written out (e.g. by category).
 * @param {{ rows: Array<{ label: string, value: number, key: string }>, title: string }} o
 */
export function barChart({ rows, title }) {
  const w = 720;
  const rowH = 34;
  const labelW = 360;
  const h = Math.max(rowH, rows.length * rowH) + 8;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const svg = svgEl('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': title, class: 'chart' });
  svg.append(svgEl('title', {}, title));
  rows.forEach((r, i) => {
    const y = 4 + i * rowH;
    const bw = ((w - labelW - 60) * r.value) / max;
    svg.append(svgEl('text', { x: labelW - 8, y: y + rowH / 2 + 5, 'text-anchor': 'end', class: 'label' }, r.label));
    const bar = svgEl('rect', { x: labelW, y: y + 5, width: Math.max(r.value ? 2 : 0, bw), height: rowH - 10, class: 'bar', 'data-key': r.key, 'data-value': r.value });
    bar.append(svgEl('title', {}, `${r.label}: ${r.value}`));
    svg.append(bar, svgEl('text', { x: labelW + bw + 6, y: y + rowH / 2 + 5, class: 'value' }, r.value));
  });
  if (rows.length === 0) svg.append(svgEl('text', { x: 10, y: 24, class: 'label' }, 'Belum ada panggilan · No calls yet'));
  return svg;
}
