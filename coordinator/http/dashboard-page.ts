// The dashboard's static parts: two HTML shells that hold no data (the page's script fills them
// from /api, with textContent), the style sheet, and the icon. Everything is served by the
// coordinator itself: no CDN, no web font, so it works on an offline admin network.

const shell = (title: string, script: string, body: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/dashboard.css">
<script type="module" src="/assets/${script}"></script>
</head>
<body>
${body}
</body>
</html>
`;

export const RUNS_PAGE = shell(
  'lockstep runs',
  'runs-page.js',
  `<header><h1>lockstep runs</h1><p class="note">Read-only. Start, approve and steer runs with the <code>lockstep</code> CLI; open a run to follow it live.</p></header>
<main><table id="runs" class="runs"></table></main>`,
);

export const RUN_PAGE = shell(
  'lockstep run',
  'run-page.js',
  `<header><a href="/">← runs</a><h1 id="title">run</h1><p id="summary"></p><p id="connection" class="connection">connecting…</p></header>
<main>
<section id="blocker" class="blocker" hidden></section>
<section id="gates" class="gates" hidden></section>
<h2>Steps</h2>
<div class="grid-wrap"><table id="grid" class="grid"></table></div>
<h2>Timeline</h2>
<p class="note">One lane per node, a bar per step from dispatch to result; vertical lines: barriers passed; shaded: the run waited (gate, window, blocked, paused).</p>
<div id="timeline" class="timeline"></div>
<h2>Events</h2>
<ol id="events" class="events"></ol>
<section id="commands" class="commands"></section>
</main>`,
);

export const DASHBOARD_CSS = `
:root { color-scheme: light; --ok: #1a7f37; --run: #9a6700; --fail: #cf222e; --wait: #8250df; --muted: #57606a; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 1rem 2rem; color: #1f2328; background: #fff; }
code, pre, .grid, .events { font-family: ui-monospace, monospace; }
h1 { margin: 0.2rem 0; font-size: 1.4rem; } h2 { font-size: 1.1rem; margin: 1.2rem 0 0.4rem; }
.note, .connection { color: var(--muted); }
.connection[data-state="lost"] { color: var(--fail); }
table { border-collapse: collapse; }
th, td { border: 1px solid #d0d7de; padding: 2px 8px; text-align: left; white-space: nowrap; }
.grid .cell { text-align: center; }
.state-succeeded { color: var(--ok); } .state-dispatched, .state-running { color: var(--run); font-weight: bold; }
.state-failed, .state-blocked { color: var(--fail); font-weight: bold; } .state-waiting, .state-awaiting-approval { color: var(--wait); font-weight: bold; }
.state-pending, .state-skipped { color: var(--muted); }
.coordinator .cell { font-style: italic; }
.blocker { border: 2px solid var(--fail); padding: 0.5rem 1rem; margin: 1rem 0; }
.gates { border: 2px solid var(--wait); padding: 0.5rem 1rem; margin: 1rem 0; }
.output { background: #f6f8fa; padding: 0.5rem; max-height: 16rem; overflow: auto; white-space: pre-wrap; }
.timeline svg { width: 100%; height: auto; border: 1px solid #d0d7de; }
.timeline .lane-band { fill: #f6f8fa; } .timeline .lane-label, .timeline .tick-label, .timeline .wait-label { font: 11px ui-monospace, monospace; fill: #1f2328; }
.timeline .tick { stroke: #d0d7de; stroke-width: 0.5; }
.timeline .bar { stroke: #1f2328; stroke-width: 0.5; fill: #8c959f; }
.timeline .bar.state-succeeded { fill: #4ac26b; } .timeline .bar.state-dispatched { fill: #d4a72c; } .timeline .bar.state-failed { fill: #ff8182; }
.timeline .barrier { stroke: #0969da; stroke-width: 2; stroke-dasharray: 4 2; }
.timeline .wait { fill: #8250df; fill-opacity: 0.15; stroke: #8250df; stroke-dasharray: 2 2; stroke-width: 0.5; }
.events { padding-left: 2.5rem; } .events li span { margin-left: 0.8rem; }
.commands dt { margin-top: 0.3rem; } .commands dd { margin-left: 1.5rem; color: var(--muted); }
@media print {
  body { margin: 0; } .connection { display: none; }
  .timeline .bar { fill: #fff; stroke-width: 1; } .timeline .bar.state-failed { stroke-dasharray: 3 1; }
  .timeline .wait { fill: #000; fill-opacity: 0.08; }
}
`;

export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect x="1" y="3" width="14" height="3" fill="#4ac26b"/><rect x="1" y="10" width="9" height="3" fill="#d4a72c"/><line x1="11" y1="1" x2="11" y2="15" stroke="#0969da" stroke-width="2"/></svg>\n`;
