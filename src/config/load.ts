import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../core/errors';
import { configSchema, ENV_KEYS, SECRET_PATHS, type AppConfig } from './schema';
import { configErrorFromIssues, readYamlFile, type YamlSource } from './yaml-source';

export interface LoadConfigOptions {
  /** Environment to read; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** The service YAML file. Default: env SIAGA112_CONFIG, else config/siaga112.yaml when present. */
  file?: string;
  /** Directory that relative paths are resolved against. Default: cwd. */
  baseDir?: string;
}

type Tree = Record<string, unknown>;

function getPath(tree: unknown, keys: ReadonlyArray<string>): unknown {
  let node = tree;
  for (const key of keys) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Tree)[key];
  }
  return node;
}

function setPath(tree: Tree, keys: ReadonlyArray<string>, value: unknown): void {
  let node = tree;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Tree;
  });
}

const envByPath = new Map(Object.entries(ENV_KEYS).map(([name, keys]) => [keys.join('.'), name]));

/**
 * The one configuration loader: YAML file, then the environment on top,
 * validated by one schema. Throws ConfigError naming the key, where it came
 * from (file and line, or the environment variable) and the expected form.
 */
export function loadConfig(options: LoadConfigOptions = {}): AppConfig {
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? process.cwd();
  const fileName = options.file ?? env.SIAGA112_CONFIG ?? (existsSync(path.join(baseDir, 'config/siaga112.yaml')) ? 'config/siaga112.yaml' : undefined);

  let source: YamlSource | undefined;
  let tree: Tree = {};
  if (fileName) {
    source = readYamlFile(path.resolve(baseDir, fileName));
    if (source.data === null || typeof source.data !== 'object' || Array.isArray(source.data)) {
      throw new ConfigError(`${fileName}: expected a mapping of keys at the top level`, { file: fileName });
    }
    tree = structuredClone(source.data) as Tree;
    for (const secret of SECRET_PATHS) {
      if (getPath(tree, secret) !== undefined) {
        const line = source.lineOf(secret);
        throw new ConfigError(
          `${fileName}${line ? `:${line}` : ''}: ${secret.join('.')} is a secret and is read only from the environment. Fix: remove it from the file and set ${envByPath.get(secret.join('.'))}.`,
          { file: fileName, line, key: secret.join('.') },
        );
      }
    }
  }

  for (const [name, keys] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(tree, keys, value);
  }
  if (env.SIAGA112_MODE === undefined && getPath(tree, ['mode']) === undefined) {
    if (env.ASTERISK_ARI_URL) tree.mode = 'asterisk';
    else if (env.TWILIO_AUTH_TOKEN) tree.mode = 'twilio';
  }

  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) {
    throw configErrorFromIssues(parsed.error.issues, {
      source,
      label: fileName ?? 'configuration',
      keyName: (p) => {
        const name = envByPath.get(p.map(String).join('.'));
        return name && env[name] !== undefined ? name : undefined;
      },
    });
  }
  const config = parsed.data;
  config.service.instanceId ??= `${hostname()}-${process.pid}`;
  config.ivrFile = path.resolve(baseDir, config.ivrFile);
  if (!config.store.databaseUrl) config.store.sqlitePath = path.resolve(baseDir, config.store.sqlitePath);
  requireModeKeys(config);
  return config;
}

function requireModeKeys(config: AppConfig): void {
  const missing: string[] = [];
  if (config.mode === 'asterisk') {
    if (!config.asterisk.ari.url) missing.push('ASTERISK_ARI_URL');
    if (!config.asterisk.ari.user) missing.push('ASTERISK_ARI_USER');
    if (!config.asterisk.ari.password) missing.push('ASTERISK_ARI_PASSWORD');
  }
  if (config.mode === 'twilio') {
    if (!config.twilio.accountSid) missing.push('TWILIO_ACCOUNT_SID');
    if (!config.twilio.authToken) missing.push('TWILIO_AUTH_TOKEN');
    if (!config.service.publicUrl) missing.push('PUBLIC_URL');
  }
  if (missing.length > 0) {
    throw new ConfigError(`mode ${config.mode} needs ${missing.join(', ')} in the environment. Fix: set them, or unset SIAGA112_MODE to run the demo.`, { missing });
  }
}
