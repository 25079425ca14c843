// The dashboard as an operator sees it: Debian's Chromium (driven by playwright-core, which
// downloads nothing) on the real coordinator process, over a lab. A rolling update is started
// and steered with the CLI while the page follows it over server-sent events: cells turn from
// pending to ok without a reload, the gate waits and then shows approved, the timeline has a
// lane per node and a line per barrier passed. A failover group named with HTML renders as
// text. The page asks nothing of any other origin and logs no error.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import type { RunEvent } from '../../shared/domain/run.js';
import { readClusterState, withLabLock, writeClusterState } from '../../lab/state/lab-state.js';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import { lockstepCli, startLab, type TestLab } from '../support/lab-harness.js';
import { haveTools } from '../support/require-tool.js';
import { makeTempDir } from '../support/temp-dir.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** What a hostile cluster definition could name a failover group. */
const HOSTILE_GROUP = '<script>alert(1)</script><b>grp</b>';
const GATE = 'applications-verified';

const haveChromium = haveTools('chromium');
const temp = makeTempDir('lockstep-dashboard-');
/** Kept after the test: the screenshot of the finished run. */
const artifacts = makeTempDir('lockstep-dashboard-artifacts-');
let lab: TestLab;
let coordinator: CoordinatorProcess;
let context: BrowserContext;
let page: Page;
let origin: string;
const foreignRequests: string[] = [];
const consoleErrors: string[] = [];
const dialogs: string[] = [];

async function cli(...args: string[]): Promise<string> {
  const result = await lockstepCli(['--coordinator', coordinator.address, ...args]);
  expect(result.code, `lockstep ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** The lab's runbook with the manual's "applications verified" gate (CPRO-XL050-06 3.1.3.3 (3)). */
function gatedRunbook(): string {
  const runbook = parseYaml(readFileSync(lab.runbook, 'utf8')) as { params: Record<string, unknown> };
  runbook.params.applicationsGate = true;
  const path = join(lab.dir, 'gated.yaml');
  writeFileSync(path, stringify(runbook));
  return path;
}

async function renameGroup(from: string, to: string, current: string): Promise<void> {
  await withLabLock(lab.dir, () => {
    const state = readClusterState(lab.dir);
    const group = state.groups[from];
    if (group === undefined) throw new Error(`the lab has no group ${from}`);
    delete state.groups[from];
    state.groups[to] = { ...group, current, home: current };
    writeClusterState(lab.dir, state);
  });
}

/**
 * Every state each node cell showed, recorded in the page as the grid changes (the page is
 * never reloaded). Run by Chromium before the page's own script; a string, as this file is
 * compiled for Node, not the DOM.
 */
const RECORD_CELL_HISTORY = `
  window.cellHistory = {};
  new MutationObserver(() => {
    for (const cell of document.querySelectorAll('#grid td[data-node]')) {
      const key = cell.dataset.step + '@' + cell.dataset.node;
      const seen = (window.cellHistory[key] ??= []);
      if (seen.at(-1) !== cell.dataset.state) seen.push(cell.dataset.state);
    }
  }).observe(document, { childList: true, subtree: true });
`;

async function runState(state: string): Promise<void> {
  await page.locator(`#summary[data-state="${state}"]`).waitFor({ timeout: 120_000 });
}

beforeAll(async () => {
  if (!haveChromium) return;
  lab = await startLab({ nodes: 2 });
  coordinator = await CoordinatorProcess.start(lab.dir);
  origin = `http://127.0.0.1:${coordinator.httpPort}`;
  context = await chromium.launchPersistentContext(join(temp.dir, 'chromium-profile'), { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  page = context.pages()[0] ?? (await context.newPage());
  await page.addInitScript({ content: RECORD_CELL_HISTORY });
  page.on('request', (request) => {
    if (!request.url().startsWith(`${origin}/`)) foreignRequests.push(request.url());
  });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
}, 180_000);

afterAll(async () => {
  await context?.close();
  await coordinator?.stop();
  await lab?.down();
  temp.remove();
});

describe.skipIf(!haveChromium)('the dashboard in Chromium', () => {
  it('shows a failover group named with HTML as text, in the grid and the blocker', async () => {
    // The group is on server2, the first server the rolling update works on: its first step moves it.
    await renameGroup('failover1', HOSTILE_GROUP, 'server2');
    const runId = (await cli('apply', lab.runbook)).trim().split('\n').pop() as string;
    await page.goto(`${origin}/runs/${runId}`);
    await runState('blocked');
    // The compiler names the step after the group (move-groups-away@server2:GROUP).
    await expect(page.locator('#grid tbody th', { hasText: HOSTILE_GROUP }).first().textContent()).resolves.toMatch(/^move-groups-away@server2:<script>alert\(1\)<\/script><b>grp<\/b>$/);
    await expect(page.locator('#blocker h2').textContent()).resolves.toContain(HOSTILE_GROUP);
    expect(await page.locator('#grid b, #blocker b, #events b').count()).toBe(0);
    expect(await page.evaluate('document.scripts.length')).toBe(1);
    expect(await page.locator('#blocker code').allTextContents()).toContain(`lockstep cancel ${runId}`);

    await cli('cancel', runId);
    await runState('cancelled');
    await renameGroup(HOSTILE_GROUP, 'failover1', 'server1');
    expect(dialogs).toEqual([]);
  }, 180_000);

  it('follows a rolling update live: cells turn from pending to ok, the gate waits then is approved, a timeline lane per node and a line per barrier', async () => {
    // The runs list is read when it is opened: the run is started first.
    const runId = (await cli('apply', gatedRunbook())).trim().split('\n').pop() as string;
    await page.goto(`${origin}/`);
    await page.locator(`#runs tr[data-run="${runId}"] a`).waitFor();
    // Also counted: a reload or a navigation would be a second load event.
    let loads = 0;
    page.on('load', () => (loads += 1));
    await page.locator(`#runs tr[data-run="${runId}"] a`).click();
    await page.locator('#connection[data-state="live"]').waitFor();

    // The gate: shown as waiting, with the command that approves it; approved through the CLI.
    await runState('awaiting-approval');
    await expect(page.locator(`#grid td[data-step="${GATE}"]`).getAttribute('data-state')).resolves.toBe('waiting');
    await expect(page.locator(`#gates li[data-gate="${GATE}"] code`).textContent()).resolves.toContain(`lockstep approve ${runId} ${GATE}`);
    await cli('approve', runId, GATE, '--comment', 'applications checked');
    await page.locator(`#grid td[data-step="${GATE}"][data-state="succeeded"]`).waitFor({ timeout: 60_000 });
    await expect(page.locator('#events li[data-type="gate.approved"] .event-message').textContent()).resolves.toContain('applications checked');
    await runState('succeeded');

    // Every node cell was seen pending and then ok, in this one page load.
    const history = (await page.evaluate('window.cellHistory')) as Record<string, string[]>;
    const cells = Object.entries(history);
    expect(cells.length).toBeGreaterThan(4);
    const server1Upgrade = cells.find(([key]) => key.includes('upgrade') && key.endsWith('@server1'));
    expect(server1Upgrade?.[1][0]).toBe('pending');
    expect(server1Upgrade?.[1].at(-1)).toBe('succeeded');
    for (const [key, states] of cells) expect([key, states.at(-1)]).toEqual([key, expect.stringMatching(/^(succeeded|skipped)$/)]);
    expect(await page.locator('#grid td[data-node][data-state="succeeded"]').allTextContents()).toSatisfy((texts: string[]) => texts.length > 0 && texts.every((text) => text === 'ok'));
    expect(loads).toBe(1);

    // The timeline: a lane per node, a barrier line per barrier.passed in the journal (read over gRPC).
    const passed: RunEvent[] = [];
    const stop = new AbortController();
    await coordinator.client.watch(runId, 0, (event) => {
      if (event.type === 'barrier.passed') passed.push(event);
      if (event.type === 'run.succeeded') stop.abort();
    }, { signal: stop.signal });
    const barrierRows = await page.locator('#grid tr.kind-barrier').count();
    expect(barrierRows).toBeGreaterThan(0);
    expect(passed.length).toBeGreaterThanOrEqual(barrierRows);
    expect(await page.locator('#timeline g.lane').count()).toBe(2);
    expect(await page.locator('#timeline g.lane .lane-label').allTextContents()).toEqual(['server2', 'server1']);
    expect(await page.locator('#timeline line.barrier').count()).toBe(passed.length);
    const dispatched = (await coordinator.client.getRun(runId)).steps.filter((step) => step.node !== '' && step.startedAtMs > 0);
    expect(await page.locator('#timeline rect.bar').count()).toBe(dispatched.length);
    expect(await page.locator('#timeline rect.wait-gate').count()).toBe(1);

    const screenshot = join(artifacts.dir, 'dashboard.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    // docs/dashboard.png is made this way: the top of the page, where the grid and the timeline are.
    const forDocs = process.env.LOCKSTEP_DASHBOARD_SCREENSHOT;
    const timeline = await page.locator('#timeline').boundingBox();
    if (forDocs && timeline) await page.screenshot({ path: forDocs, fullPage: true, clip: { x: 0, y: 0, width: 1280, height: timeline.y + timeline.height + 16 } });
    expect(readFileSync(screenshot).subarray(1, 4).toString()).toBe('PNG');
    console.log(`dashboard screenshot: ${screenshot}`);
  }, 300_000);

  it('resumes the event stream after the Last-Event-ID it is given, under the CSP', async () => {
    const runs = (await (await fetch(`${origin}/api/runs`)).json()) as Array<{ id: string; state: string }>;
    const finished = runs.find((run) => run.state === 'succeeded');
    expect(finished).toBeDefined();
    const stop = new AbortController();
    const response = await fetch(`${origin}/api/runs/${finished?.id}/events`, { headers: { 'last-event-id': '10' }, signal: stop.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    // Read until the run snapshot that follows the replay: the events before it are the history after seq 10.
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      if (text.includes('event: run\n')) break;
    }
    stop.abort();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    expect(ids[0]).toBe(11);
    expect(ids).toEqual(ids.map((_, index) => 11 + index));
    expect(await (await fetch(`${origin}/api/runs/no-such-run/events`)).text()).toMatch(/no-such-run/);
    expect((await fetch(`${origin}/api/runs`, { method: 'POST' })).status).toBe(405);
  });

  it('asked nothing of any other origin, logged no error and opened no dialog', () => {
    expect(foreignRequests).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
