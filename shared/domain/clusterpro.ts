// CLUSTERPRO X's service names, as the manual lists them. The agent's default allow-list,
// the lab's nodes and the procedures all use this one list.

/**
 * CPRO-XL050-06 3.1.2 (1): the 2.x services in the order the manual stops and disables them;
 * it starts and enables them in the reverse order (3.1.2 (8)).
 */
export const CLUSTERPRO_2X_SERVICES: readonly string[] = [
  'clusterpro_alertsync',
  'clusterpro_webmgr',
  'clusterpro',
  'clusterpro_md',
  'clusterpro_trn',
  'clusterpro_evt',
];

/** Everything a CLUSTERPRO node's service driver may touch unless configured otherwise: the 2.x services, then those later versions add. */
export const CLUSTERPRO_SERVICES: readonly string[] = [...CLUSTERPRO_2X_SERVICES, 'clusterpro_ib', 'clusterpro_api', 'clusterpro_nm'];
