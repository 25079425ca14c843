// The products `lockstep lab up` offers in its --help, in a leaf with no imports: the CLI
// registers the lab command at every start and must not load the lab (zod, yaml) to print
// them. lab-state.ts validates with the same list. (The rows of table 3-1 are
// shared/domain/solaris.ts RT_CHANGES.)
export const LAB_PRODUCT_NAMES = ['clusterpro', 'solaris-cluster'] as const;
