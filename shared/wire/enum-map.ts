import { invalidArgument, LockstepError } from '../errors.js';

/**
 * A two-way map between a domain string union and a generated proto enum. Unknown or
 * UNSPECIFIED wire values are refused with INVALID_ARGUMENT naming the field.
 */
export class EnumMap<Domain extends string, Wire extends number> {
  private readonly toDomainMap = new Map<number, Domain>();

  constructor(
    private readonly wireName: string,
    private readonly pairs: ReadonlyArray<readonly [Domain, Wire]>,
  ) {
    for (const [domain, wire] of pairs) this.toDomainMap.set(wire, domain);
  }

  toWire(value: Domain): Wire {
    const pair = this.pairs.find(([domain]) => domain === value);
    if (pair === undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', `${this.wireName}: no wire value for "${value}"`);
    return pair[1];
  }

  toDomain(field: string, value: number): Domain {
    const domain = this.toDomainMap.get(value);
    if (domain === undefined) {
      const allowed = this.pairs.map(([name]) => name.toUpperCase().replace(/-/g, '_')).join(', ');
      throw invalidArgument(field, `${value} is not a valid ${this.wireName}; expected one of ${allowed}`);
    }
    return domain;
  }

  /** For values read back from a peer: unknown becomes the fallback instead of an error. */
  toDomainOr(value: number, fallback: Domain): Domain {
    return this.toDomainMap.get(value) ?? fallback;
  }
}
