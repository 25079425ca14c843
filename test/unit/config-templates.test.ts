// The packages install agent.yaml and coordinator.yaml with every setting an operator may set,
// commented out (docs/install.md): a setting added to a program must appear in its template.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AGENT_SETTINGS } from '../../agent/agent-config.js';
import { COORDINATOR_SETTINGS } from '../../coordinator/coordinator-config.js';

/** Settings for labs and tests only, left out of a production template on purpose. */
const LAB_ONLY = new Set(['insecure', 'insecure-allow-remote', 'rpm-dbpath', 'sim']);

function templateKeys(file: string): string[] {
  const text = readFileSync(new URL(`../../scripts/package/etc/${file}`, import.meta.url), 'utf8');
  return [...text.matchAll(/^#([a-z-]+):/gm)].map((match) => match[1] as string);
}

describe('the configuration files the packages install', () => {
  it.each([
    ['agent.yaml', Object.keys(AGENT_SETTINGS)],
    ['coordinator.yaml', Object.keys(COORDINATOR_SETTINGS)],
  ])('%s names every setting but the lab-only ones, and nothing else', (file, settings) => {
    const expected = settings.filter((key) => !LAB_ONLY.has(key)).sort();
    expect([...new Set(templateKeys(file))].sort()).toEqual(expected);
  });
});
