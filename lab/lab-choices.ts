// The words `lockstep lab up` offers in its --help, in a leaf with no imports: the CLI
// registers the lab command at every start and must not load the lab (zod, yaml) to print
// them. lab-state.ts and solaris/lab-solaris.ts use the same lists (a test keeps them equal).
export const LAB_PRODUCT_NAMES = ['clusterpro', 'solaris-cluster'] as const;

/** The rows of table 3-1 a Solaris lab can rehearse (solaris/lab-solaris.ts SOLARIS_RT_CHANGES). */
export const LAB_RT_CHANGE_NAMES = [
  'rtr-only',
  'methods-new-path',
  'new-monitor',
  'update-stop-incompatible',
  'new-property-needed',
  'new-property-not-needed',
  'fini-incompatible',
  'rtr-unchanged',
] as const;
