import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';

interface Service {
  image?: string;
  build?: unknown;
  network_mode?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string> | string[];
  command?: unknown;
  entrypoint?: unknown;
}

const root = path.resolve(__dirname, '../..');
const compose = (): { services: Record<string, Service> } => parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };

function env(service: Service): Record<string, string> {
  if (Array.isArray(service.environment)) return Object.fromEntries(service.environment.map((kv) => [kv.split('=')[0]!, kv.split('=').slice(1).join('=')]));
  return service.environment ?? {};
}

/** Names of variables that hold secrets. */
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|KEY|_PASS$/i;

describe('docker-compose.yml', () => {
  it('has the asterisk, redis, postgres and siaga112 services', () => {
    expect(Object.keys(compose().services)).to.include.members(['asterisk', 'redis', 'postgres', 'siaga112']);
  });

  it('runs a maintained Asterisk image and mounts dialplans/ and config/asterisk/ read-only', () => {
    const asterisk = compose().services.asterisk!;
    expect(asterisk.image).to.match(/asterisk/i);
    const volumes = asterisk.volumes ?? [];
    expect(volumes.some((v) => /^\.\/dialplans:[^:]+:ro$/.test(v))).to.equal(true);
    expect(volumes.some((v) => /^\.\/config\/asterisk:[^:]+:ro$/.test(v))).to.equal(true);
  });

  it('gives Asterisk the host network (SIP and a wide RTP range do not survive NAT well)', () => {
    expect(compose().services.asterisk!.network_mode).to.equal('host');
  });

  it('publishes Redis and PostgreSQL on loopback only', () => {
    const { redis, postgres } = compose().services;
    expect(redis!.ports).to.deep.equal(['127.0.0.1:6379:6379']);
    expect(postgres!.ports).to.deep.equal(['127.0.0.1:5432:5432']);
  });

  it('points siaga112 at ARI, AMI, Redis and PostgreSQL', () => {
    const e = env(compose().services.siaga112!);
    for (const key of ['ASTERISK_ARI_URL', 'ASTERISK_ARI_USER', 'ASTERISK_ARI_PASSWORD', 'ASTERISK_AMI_HOST', 'ASTERISK_AMI_PORT', 'ASTERISK_AMI_USER', 'ASTERISK_AMI_PASSWORD', 'REDIS_URL', 'DATABASE_URL', 'SESSION_SECRET']) {
      expect(e, key).to.have.property(key);
    }
    expect(e.ASTERISK_ARI_URL).to.match(/^http:\/\/127\.0\.0\.1:8088$/);
  });

  it('has no secret written inline: every secret is a ${VAR} reference', () => {
    const services = compose().services;
    const problems: string[] = [];
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(env(service))) {
        const text = String(value);
        if (SECRET_NAME.test(key) && !/^\$\{[A-Z0-9_]+(:?[?-][^}]*)?\}$/.test(text)) problems.push(`${name}.${key}`);
        // A URL with credentials must take the password from a variable too.
        const cred = /:\/\/[^:/@]+:([^@]+)@/.exec(text);
        if (cred && !/^\$\{[A-Z0-9_]+(:?[?-][^}]*)?\}$/.test(cred[1]!)) problems.push(`${name}.${key} (password in URL)`);
      }
    }
    expect(problems).to.deep.equal([]);
  });

  it('the secret check itself catches an inline password', () => {
    const text = 'services:\n  x:\n    environment:\n      DB_PASSWORD: hunter2\n';
    const e = env((parse(text) as { services: Record<string, Service> }).services.x!);
    expect(SECRET_NAME.test('DB_PASSWORD') && !/^\$\{/.test(e.DB_PASSWORD!)).to.equal(true);
  });

  it('ships no secret in config/asterisk either: only ${VAR} placeholders', () => {
    for (const file of ['ari.conf', 'manager.conf', 'pjsip.conf']) {
      const text = readFileSync(path.join(root, 'config/asterisk', file), 'utf8');
      for (const line of text.split('\n')) {
        const m = /^\s*(password|secret)\s*=\s*(.*?)\s*$/i.exec(line);
        if (m) expect(m[2], `${file}: ${line}`).to.match(/^\$\{[A-Z0-9_]+\}$/);
      }
    }
  });
});
