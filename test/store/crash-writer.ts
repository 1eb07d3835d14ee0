// Child process for the durability test: write a call, and as soon as the
// write's promise resolves, die without closing anything (SIGKILL).
import { SqliteCallStore } from '../../src/store';

async function main(): Promise<void> {
  const [file, id] = process.argv.slice(2);
  if (!file || !id) throw new Error('usage: crash-writer <file> <call id>');
  const store = SqliteCallStore.open({ path: file });
  const at = 1_700_000_000_000;
  await store.createCall(
    { id, backend: 'asterisk', callerNumber: '0812', dialedNumber: '112', state: 'new', language: 'id', createdAt: at, updatedAt: at },
    { at, type: 'call.created', actor: { kind: 'system' } },
  );
  await store.updateCall(id, { patch: { state: 'queued' }, event: { at: at + 1, type: 'call.queued', actor: { kind: 'system' } } });
  process.stdout.write('written\n', () => process.kill(process.pid, 'SIGKILL'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
