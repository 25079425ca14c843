// / in the browser: the coordinator's runs, newest first, each linking to its live page.
import type { RunView } from '../../../shared/domain/run.js';
import { element, instant, required } from './dom.js';

async function start(): Promise<void> {
  const response = await fetch('/api/runs');
  if (!response.ok) throw new Error(`/api/runs answered ${response.status}`);
  const runs = (await response.json()) as RunView[];
  const head = element('tr', {}, ['run', 'state', 'procedure', 'cluster', 'started', 'next window'].map((name) => element('th', { text: name })));
  const rows = runs.map((run) =>
    element('tr', { attributes: { 'data-run': run.id } }, [
      element('td', {}, [element('a', { text: run.id, attributes: { href: `/runs/${encodeURIComponent(run.id)}` } })]),
      element('td', {}, [element('span', { className: `state state-${run.state}`, text: run.state })]),
      element('td', { text: run.procedure }),
      element('td', { text: run.cluster }),
      element('td', { text: instant(run.createdAtMs) }),
      element('td', { text: run.nextWindowAtMs ? instant(run.nextWindowAtMs) : '' }),
    ]),
  );
  required('runs').replaceChildren(element('thead', {}, [head]), element('tbody', {}, rows.length > 0 ? rows : [element('tr', {}, [element('td', { text: 'no runs yet: lockstep apply RUNBOOK starts one', attributes: { colspan: '6' } })])]));
}

void start();
