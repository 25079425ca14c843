// /runs/RUN in the browser: the node × step grid, the blocker, the gates waiting, the timeline
// and the event log, followed live over server-sent events (run-stream.ts): each `event`
// message is one journal event (its id the event's seq, so a reconnecting EventSource resumes
// after the last one it saw), each `run` message the run as it stands after them. Read-only:
// actions are the CLI's, and the page says which command does what.
import type { Blocker, RunEvent, RunView, StepView } from '../../../shared/domain/run.js';
import { element, instant, required, svgElement } from './dom.js';
import { CELL_WORDS, COORDINATOR_WORDS, remedyCommand } from './step-words.js';
import { BAR_HEIGHT, layoutTimeline } from './timeline-layout.js';

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

const runId = decodeURIComponent(location.pathname.replace(/^\/runs\//, ''));
const events: RunEvent[] = [];
let latest: RunView | undefined;

function start(): void {
  document.title = `lockstep run ${runId}`;
  required('title').textContent = `run ${runId}`;
  renderCommands();
  const source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events`);
  const connection = required('connection');
  source.addEventListener('open', () => {
    connection.textContent = 'live';
    connection.dataset.state = 'live';
  });
  source.addEventListener('error', () => {
    connection.textContent = 'connection lost: reconnecting…';
    connection.dataset.state = 'lost';
  });
  source.addEventListener('event', (message) => {
    const event = JSON.parse((message as MessageEvent<string>).data) as RunEvent;
    // A resumed stream starts after the last id seen; a repeat would still be harmless.
    if (events.length > 0 && event.seq <= (events.at(-1)?.seq ?? -1)) return;
    events.push(event);
    appendEvent(event);
  });
  source.addEventListener('run', (message) => {
    latest = JSON.parse((message as MessageEvent<string>).data) as RunView;
    render(latest);
  });
}

function render(run: RunView): void {
  const summary = required('summary');
  summary.dataset.state = run.state;
  summary.replaceChildren(
    element('span', { className: `state state-${run.state}`, text: run.state }),
    document.createTextNode(`  ${run.procedure}  on ${run.cluster}  · started ${instant(run.createdAtMs)} · updated ${instant(run.updatedAtMs)}`),
    ...(run.nextWindowAtMs ? [document.createTextNode(` · next window ${instant(run.nextWindowAtMs)}`)] : []),
  );
  renderGrid(run.steps);
  renderBlocker(run.blocker);
  renderGates(run.pendingGates);
  renderTimeline(run);
}

function renderGrid(steps: readonly StepView[]): void {
  const nodes = [...new Set(steps.map((step) => step.node).filter((node) => node !== ''))];
  const rows = new Map<string, StepView[]>();
  for (const step of steps) rows.set(step.id, [...(rows.get(step.id) ?? []), step]);
  const head = element('tr', {}, [element('th', { text: 'step' }), element('th', { text: 'kind' }), ...nodes.map((node) => element('th', { text: node }))]);
  const body = [...rows.entries()].map(([id, cells]) => {
    const first = cells[0] as StepView;
    const lead = [element('th', { text: id, attributes: { scope: 'row' } }), element('td', { className: 'kind', text: first.kind })];
    if (first.node === '') {
      // A barrier, gate or notice spans the node columns.
      const word = COORDINATOR_WORDS[first.state];
      const text = first.state === 'waiting' && first.message !== '' ? `${word}: ${first.message}` : word;
      return element('tr', { className: `coordinator kind-${first.kind}` }, [...lead, element('td', { className: `cell state-${first.state}`, text, attributes: { colspan: String(Math.max(nodes.length, 1)), 'data-step': id, 'data-state': first.state } })]);
    }
    const byNode = new Map(cells.map((cell) => [cell.node, cell]));
    return element('tr', {}, [
      ...lead,
      ...nodes.map((node) => {
        const cell = byNode.get(node);
        if (cell === undefined) return element('td', { className: 'cell empty' });
        const text = cell.attempt > 1 ? `${CELL_WORDS[cell.state]} #${cell.attempt}` : CELL_WORDS[cell.state];
        const title = [cell.message, cell.startedAtMs > 0 ? `dispatched ${instant(cell.startedAtMs)}` : '', cell.finishedAtMs > 0 ? `result ${instant(cell.finishedAtMs)}` : ''].filter(Boolean).join('\n');
        return element('td', { className: `cell state-${cell.state}`, text, attributes: { 'data-step': id, 'data-node': node, 'data-state': cell.state, title } });
      }),
    ]);
  });
  required('grid').replaceChildren(element('thead', {}, [head]), element('tbody', {}, body));
}

function renderBlocker(blocker: Blocker | undefined): void {
  const section = required('blocker');
  section.hidden = blocker === undefined;
  if (blocker === undefined) {
    section.replaceChildren();
    return;
  }
  const where = [blocker.stepId && `step ${blocker.stepId}`, blocker.node && `on ${blocker.node}`].filter(Boolean).join(' ');
  section.replaceChildren(
    element('h2', { text: `Blocked${where ? ` at ${where}` : ''}` }),
    element('p', { className: 'blocker-message', text: blocker.message }),
    ...(blocker.outputTail.trim() === '' ? [] : [element('pre', { className: 'output', text: blocker.outputTail })]),
    element('p', { text: 'What you can do (in a shell with the lockstep CLI):' }),
    element('ul', {}, blocker.remedies.map((remedy) => element('li', {}, [element('code', { text: remedyCommand(runId, blocker, remedy) })]))),
  );
}

function renderGates(gates: readonly string[]): void {
  const section = required('gates');
  section.hidden = gates.length === 0;
  section.replaceChildren(
    ...(gates.length === 0 ? [] : [element('h2', { text: 'Waiting for approval' }), element('ul', {}, gates.map((gate) => element('li', { attributes: { 'data-gate': gate } }, [element('code', { text: `lockstep approve ${runId} ${gate} --comment "…"` })])))]),
  );
}

function renderTimeline(run: RunView): void {
  const now = FINAL.has(run.state) ? run.updatedAtMs : Math.max(Date.now(), run.updatedAtMs);
  const layout = layoutTimeline({ steps: run.steps, events, nowMs: now });
  const svg = svgElement('svg', { viewBox: `0 0 ${layout.width} ${layout.height}`, role: 'img', 'aria-label': `timeline of run ${runId}` });
  for (const tick of layout.ticks) {
    svg.append(svgElement('line', { class: 'tick', x1: tick.x, x2: tick.x, y1: layout.plotTop - 4, y2: layout.plotBottom }), svgElement('text', { class: 'tick-label', x: tick.x + 2, y: layout.plotTop - 8 }, tick.label));
  }
  for (const lane of layout.lanes) {
    const group = svgElement('g', { class: 'lane', 'data-node': lane.node });
    group.append(svgElement('rect', { class: 'lane-band', x: layout.plotLeft, y: lane.y, width: layout.width - layout.plotLeft, height: BAR_HEIGHT + 8 }), svgElement('text', { class: 'lane-label', x: 4, y: lane.y + BAR_HEIGHT + 1 }, lane.node));
    svg.append(group);
  }
  for (const wait of layout.waits) {
    const band = svgElement('rect', { class: `wait wait-${wait.reason}`, x: wait.x, y: layout.plotTop, width: wait.width, height: layout.plotBottom - layout.plotTop });
    band.append(svgElement('title', {}, `waited (${wait.reason}) ${instant(wait.startMs)} → ${instant(wait.endMs)}`));
    svg.append(band, svgElement('text', { class: 'wait-label', x: wait.x + 2, y: layout.plotBottom - 2 }, wait.reason));
  }
  for (const bar of layout.bars) {
    const rect = svgElement('rect', { class: `bar state-${bar.state}`, x: bar.x, y: bar.y, width: bar.width, height: BAR_HEIGHT, 'data-node': bar.node, 'data-step': bar.stepId });
    rect.append(svgElement('title', {}, `${bar.stepId} (${bar.kind}) on ${bar.node}: ${bar.state}, ${Math.round((bar.endMs - bar.startMs) / 100) / 10}s`));
    svg.append(rect);
  }
  for (const barrier of layout.barriers) {
    const line = svgElement('line', { class: 'barrier', x1: barrier.x, x2: barrier.x, y1: layout.plotTop - 4, y2: layout.plotBottom, 'data-step': barrier.stepId });
    line.append(svgElement('title', {}, `barrier ${barrier.stepId} passed ${instant(barrier.atMs)}`));
    svg.append(line);
  }
  required('timeline').replaceChildren(svg);
}

function appendEvent(event: RunEvent): void {
  const where = [event.stepId, event.node].filter((part) => part !== '').join(' @ ');
  required('events').append(
    element('li', { className: `event type-${event.type.replace(/[^a-z-]/g, '-')}`, attributes: { 'data-seq': String(event.seq), 'data-type': event.type } }, [
      element('time', { text: instant(event.atMs) }),
      element('span', { className: 'event-type', text: event.type }),
      element('span', { className: 'event-where', text: where }),
      element('span', { className: 'event-message', text: event.message }),
      element('span', { className: `state state-${event.runState}`, text: event.runState }),
    ]),
  );
}

/** What each action is, as the CLI does it: the dashboard only shows. */
function renderCommands(): void {
  const commands: Array<[string, string]> = [
    [`lockstep watch ${runId}`, 'follow this run in a terminal'],
    [`lockstep approve ${runId} GATE --comment "…"`, 'approve a gate (an approver)'],
    [`lockstep pause ${runId}`, 'stop at the next safe point'],
    [`lockstep resume ${runId}`, 'go on after a pause'],
    [`lockstep retry ${runId} [--node NODE]`, 'try the failed steps of a blocked run again'],
    [`lockstep cancel ${runId}`, 'start nothing more'],
    [`lockstep rollback ${runId}`, 'undo what the run changed'],
    [`lockstep status ${runId} --json`, 'this page as JSON'],
  ];
  required('commands').replaceChildren(element('h2', { text: 'Actions (CLI only; this page is read-only)' }), element('dl', {}, commands.flatMap(([command, what]) => [element('dt', {}, [element('code', { text: command })]), element('dd', { text: what })])));
}

start();
