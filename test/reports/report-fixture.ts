import type { CallRecord, Classification, EndReason, Location } from '../../src/domain/types';
import type { CallStore } from '../../src/ports/call-store';

/** Epoch ms of a WIB (UTC+7) wall-clock time. */
export const wib = (y: number, mo: number, d: number, h: number, mi = 0, s = 0, ms = 0): number => Date.UTC(y, mo - 1, d, h - 7, mi, s, ms);

interface Seed {
  id: string;
  at: number;
  caller: string;
  category?: string;
  /** Seconds to an operator; undefined = not answered. */
  answer?: number;
  end?: EndReason;
  /** Seconds after arrival that the call ended. */
  endAfter: number;
  operator?: string;
  location?: Location;
  outcome?: { classification: Classification; category: string; agencies: string[]; notes: string; location?: Location };
}

/**
 * Ten calls with known times around Saturday 28 November 2026 (WIB), for
 * the report tests; the figures they give are worked out by hand in
 * report-service.test.ts. Answer times sit on the 10/15/20 s edges.
 */
export const SEEDS: Seed[] = [
  { id: 'c01', at: wib(2026, 11, 28, 0, 30), caller: '081211110000', category: 'medical', answer: 10, endAfter: 190, operator: 'op1', location: { text: 'Jl. Sudirman 5, Palu', latitude: -0.8917, longitude: 119.8707, accuracyM: 30, source: 'sip-geolocation' },
    outcome: { classification: 'emergency', category: 'medical', agencies: ['ambulance'], notes: 'Ibu pingsan, "sesak napas"\nambulans dikirim' } },
  { id: 'c02', at: wib(2026, 11, 28, 8, 0), caller: '081299990000', category: 'general', answer: 15, endAfter: 40, operator: 'op2',
    outcome: { classification: 'prank', category: 'general', agencies: [], notes: '=HYPERLINK("http://x")' } },
  { id: 'c03', at: wib(2026, 11, 28, 8, 0, 5), caller: '081299990000', category: 'general', answer: 20, endAfter: 35, operator: 'op1',
    outcome: { classification: 'ghost', category: 'general', agencies: [], notes: '' } },
  { id: 'c04', at: wib(2026, 11, 28, 8, 10), caller: '+6281233334444', category: 'police', answer: 20.001, endAfter: 120, operator: 'op2',
    outcome: { classification: 'non_emergency', category: 'police', agencies: [], notes: 'Info: jam buka, kantor polsek', location: { text: 'Polsek Palu Timur', source: 'operator' } } },
  { id: 'c05', at: wib(2026, 11, 28, 9, 0), caller: '081277770000', category: 'fire', end: 'abandoned_in_queue', endAfter: 30 },
  { id: 'c06', at: wib(2026, 11, 28, 9, 30), caller: '081277770000', end: 'abandoned_in_ivr', endAfter: 4 },
  { id: 'c07', at: wib(2026, 11, 28, 23, 59, 59, 999), caller: '081255556666', category: 'fire', answer: 3, endAfter: 300, operator: 'op1',
    outcome: { classification: 'emergency', category: 'fire', agencies: ['fire', 'police'], notes: 'Rumah terbakar; 2 orang di dalam' } },
  { id: 'c08', at: wib(2026, 11, 29, 0, 0), caller: '081288889999', category: 'disaster', answer: 5, endAfter: 60, operator: 'op2',
    outcome: { classification: 'emergency', category: 'disaster', agencies: ['sar'], notes: 'Pohon tumbang menutup jalan' } },
  { id: 'c09', at: wib(2026, 10, 15, 10, 0), caller: '081211110000', category: 'medical', answer: 8, endAfter: 100, operator: 'op1',
    outcome: { classification: 'emergency', category: 'medical', agencies: ['ambulance'], notes: '' } },
  { id: 'c10', at: wib(2026, 11, 2, 10, 0), caller: '081299990000', category: 'general', answer: 12, endAfter: 20, operator: 'op2',
    outcome: { classification: 'prank', category: 'general', agencies: [], notes: 'Anak-anak bermain telepon' } },
];

export async function seedCalls(store: CallStore): Promise<void> {
  for (const s of SEEDS) {
    const ms = (sec: number) => Math.round(sec * 1000);
    const call: CallRecord = {
      id: s.id,
      backend: 'asterisk',
      callerNumber: s.caller,
      dialedNumber: '112',
      channelId: `chan-${s.id}`,
      state: 'ended',
      endReason: s.end ?? 'completed',
      language: 'id',
      ...(s.category ? { category: s.category } : {}),
      ...(s.operator ? { operatorId: s.operator } : {}),
      ...(s.location ? { location: s.location } : {}),
      createdAt: s.at,
      ...(s.category ? { queuedAt: s.at + 2000 } : {}),
      ...(s.answer !== undefined ? { connectedAt: s.at + ms(s.answer) } : {}),
      endedAt: s.at + ms(s.endAfter),
      updatedAt: s.at + ms(s.endAfter),
    };
    await store.createCall(call, { at: s.at, type: 'call.created', actor: { kind: 'pbx' }, data: { dialedNumber: '112' } });
    if (s.category) await store.appendEvent(s.id, { at: s.at + 2000, type: 'call.queued', actor: { kind: 'system' }, data: { category: s.category } });
    if (s.answer !== undefined) await store.appendEvent(s.id, { at: s.at + ms(s.answer), type: 'call.connected', actor: { kind: 'operator', id: s.operator! }, data: {} });
    await store.appendEvent(s.id, { at: s.at + ms(s.endAfter), type: 'call.ended', actor: s.end ? { kind: 'caller' } : { kind: 'operator', id: s.operator! }, data: { reason: s.end ?? 'completed' } });
    if (s.outcome) {
      await store.saveOutcome({
        callId: s.id,
        operatorId: s.operator!,
        confirmedCategory: s.outcome.category,
        classification: s.outcome.classification,
        agencies: s.outcome.agencies,
        notes: s.outcome.notes,
        ...(s.outcome.location ? { location: s.outcome.location } : {}),
        submittedAt: s.at + ms(s.endAfter) + 30_000,
      });
    }
  }
}
