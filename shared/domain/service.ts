export type ServiceAction = 'enable' | 'disable' | 'start' | 'stop' | 'status';

export const SERVICE_ACTIONS: readonly ServiceAction[] = ['enable', 'disable', 'start', 'stop', 'status'];

export interface ServiceStatus {
  name: string;
  /** Starts at boot (has rc links / is enabled). */
  enabled: boolean;
  running: boolean;
}
