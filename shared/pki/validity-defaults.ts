// Default certificate lifetimes, in a module of their own: `lockstep certs --help` names them
// without loading the X.509 library that signs certificates.

/** Ten years: the CA is replaced rarely, and replacing it means re-issuing every leaf. */
export const DEFAULT_CA_DAYS = 3650;
/**
 * 397 days, the CA/Browser Forum's ceiling for public TLS certificates: a stolen node key is
 * useful for about a year at most, and a yearly `certs renew` is a routine an operator keeps.
 */
export const DEFAULT_LEAF_DAYS = 397;
