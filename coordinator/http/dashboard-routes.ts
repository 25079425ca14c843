// The dashboard on the coordinator's HTTP port (SPEC §4.5, §10): `/` the runs, `/runs/RUN` one
// run live, `/api/runs[/RUN[/events]]` the JSON and server-sent events they read, `/assets/…`
// the page's script (compiled from ./browser beside this file), style and icon. Read-only: GET
// and HEAD only. Every answer carries a Content-Security-Policy that lets the page load
// nothing but this origin's files and run no inline script.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLockstepError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { RunService } from '../engine/run-types.js';
import { DASHBOARD_CSS, ICON_SVG, RUN_PAGE, RUNS_PAGE } from './dashboard-page.js';
import type { HttpRoute } from './http-server.js';
import { streamRun } from './run-stream.js';

export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** The browser modules, compiled by tsc next to this file; nothing else under it is served. */
const SCRIPTS = new Set(['run-page.js', 'runs-page.js', 'dom.js', 'step-words.js', 'timeline-layout.js']);
const BROWSER_DIR = new URL('./browser/', import.meta.url);
const RUNS_LISTED = 200;

const STATIC: Readonly<Record<string, { type: string; body: string }>> = {
  '/': { type: 'text/html; charset=utf-8', body: RUNS_PAGE },
  '/assets/dashboard.css': { type: 'text/css; charset=utf-8', body: DASHBOARD_CSS },
  '/assets/icon.svg': { type: 'image/svg+xml', body: ICON_SVG },
};

export function dashboardRoutes(service: RunService, logger: Logger): HttpRoute {
  return (request, response) => {
    const path = new URL(request.url ?? '/', 'http://dashboard').pathname;
    if (!isDashboardPath(path)) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, 'text/plain; charset=utf-8', 'the dashboard is read-only: use the lockstep CLI\n', { allow: 'GET, HEAD' });
      return true;
    }
    void answer(service, path, request, response).catch((error: unknown) => {
      // An unknown run, or a run id that is not valid percent-encoding.
      const notFound = isLockstepError(error, 'LOCKSTEP_E_NOT_FOUND') || error instanceof URIError;
      if (!notFound) logger.error({ err: error, path }, 'dashboard request failed');
      if (!response.headersSent) send(response, notFound ? 404 : 500, 'text/plain; charset=utf-8', notFound ? `${(error as Error).message}\n` : 'internal error\n');
      else response.destroy();
    });
    return true;
  };
}

function isDashboardPath(path: string): boolean {
  return path in STATIC || path.startsWith('/runs/') || path === '/api/runs' || path.startsWith('/api/runs/') || path.startsWith('/assets/');
}

async function answer(service: RunService, path: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const fixed = STATIC[path];
  if (fixed !== undefined) return send(response, 200, fixed.type, fixed.body);
  if (path.startsWith('/assets/')) {
    const name = path.slice('/assets/'.length);
    if (!SCRIPTS.has(name)) return send(response, 404, 'text/plain; charset=utf-8', 'not found\n');
    return send(response, 200, 'text/javascript; charset=utf-8', await readFile(new URL(name, BROWSER_DIR), 'utf8'));
  }
  if (path === '/api/runs') return sendJson(response, service.listRuns(RUNS_LISTED));
  const events = /^\/api\/runs\/([^/]+)\/events$/.exec(path);
  if (events) {
    const runId = decodeURIComponent(events[1] as string);
    service.getRun(runId); // NOT_FOUND as a 404, before the stream starts
    // HEAD says the stream is there without holding a connection open for events it cannot carry.
    if (request.method === 'HEAD') return send(response, 200, 'text/event-stream; charset=utf-8', '');
    return streamRun(service, runId, request, response, DASHBOARD_HEADERS);
  }
  const api = /^\/api\/runs\/([^/]+)$/.exec(path);
  if (api) return sendJson(response, service.getRun(decodeURIComponent(api[1] as string)));
  if (/^\/runs\/[^/]+$/.test(path)) return send(response, 200, 'text/html; charset=utf-8', RUN_PAGE);
  return send(response, 404, 'text/plain; charset=utf-8', 'not found\n');
}

function sendJson(response: ServerResponse, value: unknown): void {
  send(response, 200, 'application/json; charset=utf-8', JSON.stringify(value), { 'cache-control': 'no-store' });
}

function send(response: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  response.writeHead(status, { ...DASHBOARD_HEADERS, 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...extra });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
