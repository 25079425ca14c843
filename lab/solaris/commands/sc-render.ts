// What the simulated Solaris Cluster prints for the status and property listings, in the
// layout of the real tools (test/fixtures/solaris shows the same layout): a `=== Title ===`
// heading, header rows with dashes, continuation rows with a blank first column, and
// `Property{node}:` lines. The agent's parsers read these exactly as they read a real node.
import { onlineOn, rtrFilesOn, type ScPackage, type ScState } from '../sc-model.js';

const pad = (text: string, width: number): string => (text.length >= width ? `${text} ` : text.padEnd(width));

function table(title: string, subtitle: string | undefined, headers: string[], widths: number[], entries: string[][][]): string {
  const lines = ['', `=== ${title} ===`, ''];
  if (subtitle !== undefined) lines.push(`--- ${subtitle} ---`, '');
  const row = (cells: string[]): string => cells.map((cell, index) => (index === cells.length - 1 ? cell : pad(cell, widths[index] as number))).join('').trimEnd();
  lines.push(row(headers), row(headers.map((header) => '-'.repeat(header.length))));
  for (const rows of entries) {
    for (const cells of rows) lines.push(row(cells));
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

const capital = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);

export function renderClnodeStatus(state: ScState): string {
  const rows = Object.entries(state.nodes).map(([node, nodeState]) => [[node, nodeState === 'cluster' ? 'Online' : 'Offline']]);
  return table('Cluster Nodes', 'Node Status', ['Node Name', 'Status'], [48], [rows.flat()]);
}

export function renderClresourcegroupStatus(state: ScState): string {
  const entries = state.resourceGroups.map((group) =>
    group.nodeList.map((node, index) => [
      index === 0 ? group.name : '',
      node,
      'No',
      group.state === 'unmanaged' ? 'Unmanaged' : group.state === 'online' && group.node === node ? 'Online' : 'Offline',
    ]),
  );
  return table('Cluster Resource Groups', undefined, ['Group Name', 'Node Name', 'Suspended', 'Status'], [17, 18, 15], entries);
}

export function renderClresourceStatus(state: ScState): string {
  const entries = state.resources.map((resource) => {
    const group = state.resourceGroups.find((each) => each.name === resource.group);
    const where = onlineOn(state, resource);
    return (group?.nodeList ?? []).map((node, index) => {
      const online = where === node;
      const word = online ? (resource.monitored ? 'Online' : 'Online_not_monitored') : 'Offline';
      return [index === 0 ? resource.name : '', node, word, online ? 'Online - Service is online.' : 'Offline'];
    });
  });
  return table('Cluster Resources', undefined, ['Resource Name', 'Node Name', 'State', 'Status Message'], [20, 19, 13], entries);
}

const property = (name: string, value: string): string => `  ${pad(`${name}:`, 46)}${value}`.trimEnd();

export function renderClresourceShow(state: ScState, names?: readonly string[]): string {
  const lines = ['', '=== Resources ===', ''];
  for (const resource of state.resources.filter((each) => names === undefined || names.length === 0 || names.includes(each.name))) {
    const group = state.resourceGroups.find((each) => each.name === resource.group);
    lines.push(`${pad('Resource:', 48)}${resource.name}`);
    lines.push(property('Type', resource.type), property('Type_version', resource.typeVersion), property('Group', resource.group));
    lines.push(property('R_description', ''), property('Resource_project_name', 'default'));
    lines.push(property('Resource_dependencies', resource.dependsOn.join(',')));
    for (const node of group?.nodeList ?? []) lines.push(property(`Enabled{${node}}`, capital(String(resource.enabled))));
    for (const node of group?.nodeList ?? []) lines.push(property(`Monitored{${node}}`, capital(String(resource.monitored))));
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

export function renderClresourcetypeShow(state: ScState): string {
  const lines = ['', '=== Registered Resource Types ===', ''];
  for (const type of state.resourceTypes) {
    const version = type.name.split(':')[1] ?? '';
    lines.push(`${pad('Resource Type:', 48)}${type.name}`, property('RT_version', version), property('RT_basedir', '/opt/LABapp/bin'), property('Installed_nodes', '<All>'), '');
  }
  return `${lines.join('\n')}\n`;
}

// Sun Cluster 3.1's scstat: every row labelled, the label right-aligned before the columns
// (test/fixtures/solaris/scstat-g-sc31-rac.txt, scstat-p-sc31.txt); 3.1 writes multi-word
// states with blanks (Online faulted, Start failed).
const labelled = (label: string, cells: string[], widths: number[]): string =>
  `${(label === '' ? '' : `${label}:`).padStart(11)} ${cells.map((cell, index) => (index === cells.length - 1 ? cell : pad(cell, widths[index] as number))).join('')}`.trimEnd();

function section(title: string, headers: string[], widths: number[], rows: string[]): string[] {
  return [`-- ${title} --`, '', labelled('', headers, widths), labelled('', headers.map((header) => '-'.repeat(header.length)), widths), ...rows, ''];
}

/** `scstat -n` */
export function renderScstatNodes(state: ScState): string {
  const rows = Object.entries(state.nodes).map(([node, nodeState]) => `  Cluster node:     ${pad(node, 19)}${nodeState === 'cluster' ? 'Online' : 'Offline'}`);
  return `${['-- Cluster Nodes --', '', `${' '.repeat(20)}Node name           Status`, `${' '.repeat(20)}---------           ------`, ...rows, ''].join('\n')}\n`;
}

/** `scstat -g` */
export function renderScstatGroups(state: ScState): string {
  const widths = [18, 11, 10];
  const members = state.resourceGroups.map((group) => {
    const names = state.resources.filter((resource) => resource.group === group.name).map((resource) => resource.name);
    return labelled('Resources', [group.name, names.length === 0 ? '-' : names.join(' ')], widths);
  });
  const groups = state.resourceGroups.flatMap((group) =>
    group.nodeList.map((node) => labelled('Group', [group.name, node, group.state === 'unmanaged' ? 'Unmanaged' : group.state === 'online' && group.node === node ? 'Online' : 'Offline'], widths)),
  );
  const resources = state.resources.flatMap((resource) => {
    const where = onlineOn(state, resource);
    const nodeList = state.resourceGroups.find((group) => group.name === resource.group)?.nodeList ?? [];
    const rows = nodeList.map((node) => {
      const online = where === node;
      const word = online ? (resource.monitored ? 'Online' : 'Online not monitored') : 'Offline';
      return labelled('Resource', [resource.name, node, word, online ? 'Online - Service is online.' : 'Offline'], widths);
    });
    return [...rows, ''];
  });
  return `${[
    ...section('Resource Groups and Resources', ['Group Name', 'Resources'], widths, members),
    '',
    ...section('Resource Groups', ['Group Name', 'Node Name', 'State'], widths, groups),
    '',
    ...section('Resources', ['Resource Name', 'Node Name', 'State', 'Status Message'], widths, resources),
  ].join('\n')}\n`;
}

/** The optags the lab's scha_resource_get answers (optags are case-insensitive, scha_cmds(1HA)). */
export const RESOURCE_OPTAGS = ['TYPE', 'TYPE_VERSION', 'GROUP', 'ON_OFF_SWITCH', 'MONITORED_SWITCH', 'RESOURCE_DEPENDENCIES'] as const;

/** `scha_resource_get -O OPTAG -R RESOURCE`: one value per line (scha_cmds(1HA)), or undefined for an optag the lab does not model. */
export function renderResourceProperty(resource: ScState['resources'][number], optag: string): string | undefined {
  const values: Record<(typeof RESOURCE_OPTAGS)[number], string[]> = {
    TYPE: [resource.type],
    TYPE_VERSION: [resource.typeVersion],
    GROUP: [resource.group],
    ON_OFF_SWITCH: [resource.enabled ? 'ENABLED' : 'DISABLED'],
    MONITORED_SWITCH: [resource.monitored ? 'ENABLED' : 'DISABLED'],
    RESOURCE_DEPENDENCIES: resource.dependsOn,
  };
  const lines = (values as Record<string, string[]>)[optag.toUpperCase()];
  return lines === undefined ? undefined : lines.map((line) => `${line}\n`).join('');
}

/** `pkginfo -l PKG` on a node, or null when the package is not installed there (pkginfo then exits 1). */
export function renderPkginfo(pkg: string, installed: ScPackage | undefined): string | null {
  if (installed === undefined) return null;
  const field = (name: string, value: string): string => `${name.padStart(10)}:  ${value}`;
  return `${[field('PKGINST', pkg), field('NAME', `${installed.type} data service`), field('CATEGORY', 'application'), field('ARCH', 'sparc'), field('VERSION', installed.version), field('BASEDIR', '/opt'), field('VENDOR', 'LAB'), field('STATUS', 'completely installed'), field('FILES', `${Object.keys(installed.rtrFiles).length + 6} installed pathnames`)].join('\n')}\n\n`;
}

/** The RTR files a node holds, for the agent's readers (e.g. reading the new RTR during preflight). */
export function rtrFileOn(state: ScState, node: string, path: string): string | undefined {
  return rtrFilesOn(state, node)[path];
}
