import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The recordings of a real Asterisk, beside the project as ../shared/asterisk-fixtures. */
export function fixturesDir(): string {
  return process.env.SIAGA112_FIXTURES ?? path.resolve(__dirname, '../../../shared/asterisk-fixtures');
}

export function fixturesAvailable(): boolean {
  return existsSync(path.join(fixturesDir(), 'api-docs', 'resources.json'));
}

export function readFixture(name: string): string {
  return readFileSync(path.join(fixturesDir(), name), 'utf8');
}

/** Parse a .jsonl recording into its objects (blank lines ignored). */
export function readJsonl<T = Record<string, unknown>>(name: string): T[] {
  return readFixture(name)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/**
 * Mocha helper: a suite that needs the recordings. Where ../shared is absent
 * (a clone elsewhere) it says so and skips; nothing else depends on it.
 */
export function describeWithFixtures(title: string, body: (this: Mocha.Suite) => void): void {
  describe(title, function () {
    before(function () {
      if (fixturesAvailable()) return;
      console.log(`      (skipped: Asterisk recordings not found at ${fixturesDir()}; they live in ../shared/asterisk-fixtures)`);
      this.skip();
    });
    body.call(this);
  });
}

/**
 * For a single test inside a suite that otherwise runs without them: skip it,
 * saying why, when the recordings are absent.
 */
export function skipWithoutRecordings(ctx: Mocha.Context): void {
  if (fixturesAvailable()) return;
  console.log(`      (skipped: Asterisk recordings not found at ${fixturesDir()}; they live in ../shared/asterisk-fixtures)`);
  ctx.skip();
}
