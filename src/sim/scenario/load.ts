import { ConfigError } from '../../core/errors';
import { configErrorFromIssues, parseYamlText, readYamlFile, type YamlSource } from '../../config/yaml-source';
import { scenarioSchema, type Scenario, type ScenarioInput } from './schema';

function fromSource(source: YamlSource): Scenario {
  const parsed = scenarioSchema.safeParse(source.data);
  if (!parsed.success) throw configErrorFromIssues(parsed.error.issues, { source, label: source.file });
  return parsed.data;
}

/** Read and validate a scenario YAML file; errors name the file and line. */
export function loadScenarioFile(file: string): Scenario {
  return fromSource(readYamlFile(file));
}

export function parseScenarioYaml(text: string, label = 'scenario.yaml'): Scenario {
  return fromSource(parseYamlText(text, label));
}

/** Validate a scenario given as an object (tests, control API). */
export function parseScenario(input: ScenarioInput | unknown): Scenario {
  const parsed = scenarioSchema.safeParse(input);
  if (!parsed.success) {
    const text = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid simulator scenario: ${text}`, { issues: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) });
  }
  return parsed.data;
}
