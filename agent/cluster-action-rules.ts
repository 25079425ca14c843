// Which fields each cluster action needs, checked before anything is journaled or run.
import type { ClusterAction, ClusterActionKind } from '../shared/domain/cluster.js';
import { invalidArgument } from '../shared/errors.js';
import { requireName, requireText } from '../shared/names.js';

type Field = 'group' | 'server' | 'mirror' | 'resource' | 'resourceGroup' | 'resourceType' | 'rtrPath' | 'typeVersion' | 'node';

const WIRE_NAMES: Record<Field, string> = {
  group: 'group',
  server: 'server',
  mirror: 'mirror',
  resource: 'resource',
  resourceGroup: 'resource_group',
  resourceType: 'resource_type',
  rtrPath: 'rtr_path',
  typeVersion: 'type_version',
  node: 'node',
};

const REQUIRED: Record<ClusterActionKind, readonly Field[]> = {
  suspend: [],
  resume: [],
  'stop-cluster': [],
  'stop-server': [],
  'move-group': ['group'],
  'start-group': ['group'],
  'stop-group': ['group'],
  'mirror-recover': ['mirror'],
  'register-type': ['resourceType', 'rtrPath'],
  'set-type-version': ['resource', 'typeVersion'],
  monitor: ['resource'],
  unmonitor: ['resource'],
  'enable-resource': ['resource'],
  'disable-resource': ['resource'],
  'rg-offline': ['resourceGroup'],
  'rg-online': ['resourceGroup'],
  'rg-manage': ['resourceGroup'],
  'rg-unmanage': ['resourceGroup'],
  evacuate: ['node'],
  'boot-noncluster': [],
  rejoin: [],
};

/** Fields an action may carry beyond the required ones. */
const OPTIONAL: Partial<Record<ClusterActionKind, readonly Field[]>> = { 'move-group': ['server'] };

export function checkClusterAction(action: ClusterAction): ClusterAction {
  const required = REQUIRED[action.kind];
  const allowed = new Set<Field>([...required, ...(OPTIONAL[action.kind] ?? [])]);
  for (const field of Object.keys(WIRE_NAMES) as Field[]) {
    const value = action[field];
    const wireName = WIRE_NAMES[field];
    if (value === undefined) {
      if (required.includes(field)) throw invalidArgument(wireName, `is required for ${action.kind.toUpperCase().replace(/-/g, '_')}`);
      continue;
    }
    if (!allowed.has(field)) throw invalidArgument(wireName, `does not apply to ${action.kind.toUpperCase().replace(/-/g, '_')}`);
    if (field === 'rtrPath') requireText(wireName, value, 1024);
    else if (field === 'typeVersion') requireText(wireName, value, 64);
    else requireName(wireName, value);
  }
  return action;
}
