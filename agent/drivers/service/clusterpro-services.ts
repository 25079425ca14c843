// The services a CLUSTERPRO node's service driver may touch unless configured otherwise.

/**
 * CPRO-XL050-06 3.1.2 (1): the 2.x services in the order the manual stops and disables them
 * (it starts and enables them in reverse), then the services later versions add.
 */
export const CLUSTERPRO_SERVICES: readonly string[] = [
  'clusterpro_alertsync',
  'clusterpro_webmgr',
  'clusterpro',
  'clusterpro_md',
  'clusterpro_trn',
  'clusterpro_evt',
  'clusterpro_ib',
  'clusterpro_api',
  'clusterpro_nm',
];
