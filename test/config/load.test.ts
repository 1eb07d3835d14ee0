import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load';
import { ConfigError } from '../../src/core/errors';

function withFile(yaml: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'siaga112-config-'));
  const file = path.join(dir, 'siaga112.yaml');
  writeFileSync(file, yaml);
  return file;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  expect.fail('expected a ConfigError');
}

describe('configuration loader', () => {
  it('embedded defaults: demo mode, port 8080, app siaga112, SQLite under data/', () => {
    const config = loadConfig({ env: {}, baseDir: os.tmpdir() });
    expect(config.mode).to.equal('demo');
    expect(config.service.port).to.equal(8080);
    expect(config.asterisk.ari.app).to.equal('siaga112');
    expect(config.dispatch.ringTimeoutSeconds).to.equal(15);
    expect(config.store.sqlitePath).to.equal(path.join(os.tmpdir(), 'data/siaga112.sqlite'));
  });

  it('the fixed environment names set their keys and override the file', () => {
    const file = withFile('service:\n  port: 9000\n');
    const config = loadConfig({
      file,
      env: {
        PORT: '8181',
        REDIS_URL: 'redis://127.0.0.1:6390',
        DATABASE_URL: 'postgres://u@db:5432/siaga',
        ASTERISK_ARI_URL: 'http://127.0.0.1:8088',
        ASTERISK_ARI_USER: 'siaga112',
        ASTERISK_ARI_PASSWORD: 'pw',
        ASTERISK_ARI_APP: 'kota112',
        ASTERISK_AMI_HOST: '127.0.0.1',
        ASTERISK_AMI_PORT: '5039',
        LOG_LEVEL: 'debug',
        PUBLIC_URL: 'https://112.example.go.id',
      },
    });
    expect(config.service.port).to.equal(8181);
    expect(config.mode).to.equal('asterisk');
    expect(config.redis.url).to.equal('redis://127.0.0.1:6390');
    expect(config.store.databaseUrl).to.equal('postgres://u@db:5432/siaga');
    expect(config.asterisk.ari).to.deep.equal({ url: 'http://127.0.0.1:8088', user: 'siaga112', password: 'pw', app: 'kota112' });
    expect(config.asterisk.ami.port).to.equal(5039);
    expect(config.service.logLevel).to.equal('debug');
    expect(config.service.publicUrl).to.equal('https://112.example.go.id');
  });

  it('a bad environment value names the variable, the key and the expected form', () => {
    const err = errorOf(() => loadConfig({ env: { PORT: 'eighty' } }));
    expect(err.message).to.contain('environment PORT');
    expect(err.message).to.contain('service.port');
    expect(err.message).to.contain('expected a TCP port number');
  });

  it('a bad file value names the file, the line, the key and the expected form', () => {
    const file = withFile('service:\n  port: 8080\ndispatch:\n  ringTimeoutSeconds: -5\n');
    const err = errorOf(() => loadConfig({ file, env: {} }));
    expect(err.message).to.contain(`${file}:4`);
    expect(err.message).to.contain('dispatch.ringTimeoutSeconds');
    expect(err.message).to.contain('expected a positive number of seconds');
  });

  it('an unknown key is refused with its line', () => {
    const file = withFile('service:\n  prot: 8080\n');
    const err = errorOf(() => loadConfig({ file, env: {} }));
    expect(err.message).to.contain(`${file}:2`);
    expect(err.message).to.match(/prot/);
  });

  it('YAML syntax errors name the line', () => {
    const file = withFile('service:\n  port: 8080\n  bad: [1, 2\n');
    const err = errorOf(() => loadConfig({ file, env: {} }));
    expect(err.message).to.match(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: YAML syntax error`));
  });

  it('a secret in a file is refused and the environment variable is named', () => {
    const file = withFile('asterisk:\n  ari:\n    url: http://127.0.0.1:8088\n    password: hunter2\n');
    const err = errorOf(() => loadConfig({ file, env: {} }));
    expect(err.message).to.contain(`${file}:4`);
    expect(err.message).to.contain('ASTERISK_ARI_PASSWORD');
    expect(err.message).to.not.contain('hunter2');
  });

  it('asterisk mode without credentials says which variables to set', () => {
    const err = errorOf(() => loadConfig({ env: { ASTERISK_ARI_URL: 'http://127.0.0.1:8088' } }));
    expect(err.message).to.contain('ASTERISK_ARI_USER');
    expect(err.message).to.contain('ASTERISK_ARI_PASSWORD');
  });

  it('twilio mode needs the account, the token and the public URL', () => {
    const err = errorOf(() => loadConfig({ env: { SIAGA112_MODE: 'twilio' } }));
    expect(err.message).to.contain('TWILIO_ACCOUNT_SID');
    expect(err.message).to.contain('PUBLIC_URL');
  });

  it('overflow transfer without a target is refused', () => {
    const file = withFile('dispatch:\n  overflow:\n    action: transfer\n');
    const err = errorOf(() => loadConfig({ file, env: {} }));
    expect(err.message).to.contain('transferTarget');
  });

  it('malformed URLs and enums are refused with the expected form', () => {
    expect(errorOf(() => loadConfig({ env: { REDIS_URL: 'localhost:6379' } })).message).to.contain('expected redis://host:port');
    expect(errorOf(() => loadConfig({ env: { LOG_LEVEL: 'loud' } })).message).to.contain('expected one of error, warn, info, debug, silent');
    expect(errorOf(() => loadConfig({ env: { DATABASE_URL: 'mysql://x' } })).message).to.contain('expected postgres://');
  });

  it('a missing file is a clear error', () => {
    const err = errorOf(() => loadConfig({ file: path.join(os.tmpdir(), 'does-not-exist.yaml'), env: {} }));
    expect(err.message).to.contain('cannot read the file');
  });
});
