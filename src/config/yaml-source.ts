import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors';

/** A parsed YAML file that can say on which line a value stands. */
export interface YamlSource {
  file: string;
  data: unknown;
  /** 1-based line of the value at `path`, or of its nearest existing parent. */
  lineOf(path: ReadonlyArray<PropertyKey>): number | undefined;
}

export function readYamlFile(file: string): YamlSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)}). Fix: create it or point to the right path.`, { file });
  }
  return parseYamlText(text, file);
}

export function parseYamlText(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const line = lineCounter.linePos(first.pos[0]).line;
    throw new ConfigError(`${file}:${line}: YAML syntax error: ${first.message.split('\n')[0]}. Fix the YAML at that line.`, { file, line });
  }
  return {
    file,
    data: doc.toJS() ?? {},
    lineOf(path) {
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n).map((p) => (typeof p === 'symbol' ? String(p) : p)), true);
        if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      }
      return undefined;
    },
  };
}

function pathText(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p) => String(p)).join('.') || '(top level)';
}

/**
 * Turn schema issues into one ConfigError naming the key, the file and line,
 * and the expected form. `source` is absent for values from the environment.
 */
export function configErrorFromIssues(
  issues: ReadonlyArray<z.core.$ZodIssue>,
  where: { source?: YamlSource; label: string; keyName?: (path: ReadonlyArray<PropertyKey>) => string | undefined },
): ConfigError {
  const lines = issues.map((issue) => {
    const key = pathText(issue.path);
    const envName = where.keyName?.(issue.path);
    const line = where.source?.lineOf(issue.path);
    const place = envName ? `environment ${envName}` : `${where.label}${line ? `:${line}` : ''}`;
    return `${place}: ${key}: ${issue.message}`;
  });
  return new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`, {
    issues: issues.map((i) => ({ field: pathText(i.path), message: i.message })),
  });
}
