import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { callLogger, createLogger, maskNumber } from '../../src/core/logger';

function capture(level: 'info' | 'debug' = 'info') {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return { logger: createLogger({ level, stream, defaultMeta: { service: 'siaga112' } }), lines };
}

describe('logger', () => {
  it('writes JSON lines with level, message, timestamp and default fields', async () => {
    const { logger, lines } = capture();
    logger.info('started', { port: 8080 });
    logger.debug('hidden at info');
    await new Promise((r) => setImmediate(r));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ level: 'info', message: 'started', port: 8080, service: 'siaga112' });
    expect(lines[0]!.timestamp).to.be.a('string');
  });

  it('a call logger puts the call id and the masked caller on every line', async () => {
    const { logger, lines } = capture();
    const log = callLogger(logger, 'call_1', { number: '081234565678', mask: true });
    log.info('answered');
    log.warn('queued', { category: 'fire' });
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l.callId)).to.deep.equal(['call_1', 'call_1']);
    expect(lines.map((l) => l.caller)).to.deep.equal(['0812****5678', '0812****5678']);
    expect(JSON.stringify(lines)).to.not.contain('081234565678');
  });

  it('leaves the number unmasked when masking is off, and short numbers as they are', () => {
    expect(maskNumber('081234565678')).to.equal('0812****5678');
    expect(maskNumber('+6281234565678')).to.equal('+628******5678');
    expect(maskNumber('112')).to.equal('112');
    expect(maskNumber('')).to.equal('');
  });
});
