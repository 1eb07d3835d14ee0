// Words on siaga112 pages: Bahasa Indonesia first, English after.

export const STATE_LABELS = {
  offline: ['OFFLINE', 'Belum bertugas · Not signed on'],
  not_ready: ['TIDAK SIAP', 'Not ready'],
  ready: ['SIAP', 'Ready: waiting for a call'],
  offered: ['BERDERING', 'Ringing: answer your softphone'],
  on_call: ['DALAM PANGGILAN', 'On a call'],
  wrap_up: ['WRAP-UP', 'Isi hasil panggilan · Record the outcome'],
};

export const PHASE_LABELS = {
  offered: 'BERDERING — angkat softphone · RINGING — answer your softphone',
  on_call: 'DALAM PANGGILAN · ON CALL',
  wrap_up: 'WRAP-UP — isi hasil · record the outcome',
  callback: 'TELEPON BALIK · CALL BACK',
};

export const REASON_LABELS = {
  break: 'Istirahat · Break',
  meeting: 'Rapat · Meeting',
  training: 'Pelatihan · Training',
  admin_work: 'Administrasi · Admin work',
  other: 'Lainnya · Other',
  login: 'Baru masuk · Just signed on',
  logout: 'Keluar · Signed off',
  missed: 'Panggilan tak terjawab · Missed a call',
};

export const CLASSIFICATION_LABELS = {
  emergency: 'Darurat · Emergency',
  non_emergency: 'Bukan darurat / informasi · Non-emergency or information',
  prank: 'Iseng · Prank',
  ghost: 'Diam / kosong · Ghost or silent',
};

export const END_LABELS = {
  completed: 'Selesai · Completed',
  abandoned_in_ivr: 'Ditutup di IVR · Hung up in IVR',
  abandoned_in_queue: 'Ditutup saat menunggu · Hung up waiting',
  failed: 'Gagal · Failed',
  transferred: 'Dialihkan · Transferred',
};

/** "Medis / Medical" from { id: 'Medis', en: 'Medical' }. */
export function categoryLabel(names, fallback = '—') {
  if (!names) return fallback;
  const id = names.id;
  const en = names.en;
  if (id && en && id !== en) return `${id} · ${en}`;
  return id || en || Object.values(names)[0] || fallback;
}

export function reasonLabel(reason) {
  return REASON_LABELS[reason] || reason || '';
}

/** 75 → "1:15", 3725 → "1:02:05". */
export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

const timeFormat = new Intl.DateTimeFormat('id-ID', { dateStyle: 'short', timeStyle: 'short' });
export function dateTime(ms) {
  return timeFormat.format(new Date(ms));
}
