// rpm's --queryformat language, as much of it as the emulated rpm needs: text with
// backslash escapes, %{TAG} (with an optional printf width, %-27{TAG}), %|TAG?{…}:{…}|
// (is the tag set?) and %%. Unknown tags fail as rpm 4.18 fails: an error on stderr and
// nothing printed.

type FormatNode =
  | { kind: 'text'; text: string }
  | { kind: 'tag'; tag: string; width: number | undefined; leftAlign: boolean }
  | { kind: 'if'; tag: string; then: FormatNode[]; otherwise: FormatNode[] };

/** A tag's value; null when the package does not set it (rpm prints `(none)`). */
export type TagValue = string | null;

/** The tags one package answers, by upper-case name (NAME, EPOCH…). */
export type TagTable = ReadonlyMap<string, TagValue>;

export type Rendered = { ok: true; text: string } | { ok: false; error: string };

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\' };
const UNSET = '(none)';

class FormatError extends Error {}

/** Parses `format` once; the result renders any number of packages. */
export function compileQueryFormat(format: string, knownTags: ReadonlySet<string>): ((tags: TagTable) => string) | { error: string } {
  try {
    const parser = new Parser(format, knownTags);
    const nodes = parser.sequence(false);
    return (tags) => render(nodes, tags);
  } catch (error) {
    if (error instanceof FormatError) return { error: `error: incorrect format: ${error.message}\n` };
    throw error;
  }
}

function render(nodes: readonly FormatNode[], tags: TagTable): string {
  let text = '';
  for (const node of nodes) {
    if (node.kind === 'text') text += node.text;
    else if (node.kind === 'if') text += render(tags.get(node.tag) == null ? node.otherwise : node.then, tags);
    else text += pad(tags.get(node.tag) ?? UNSET, node.width, node.leftAlign);
  }
  return text;
}

function pad(value: string, width: number | undefined, leftAlign: boolean): string {
  if (width === undefined) return value;
  return leftAlign ? value.padEnd(width) : value.padStart(width);
}

class Parser {
  private at = 0;

  constructor(
    private readonly format: string,
    private readonly knownTags: ReadonlySet<string>,
  ) {}

  /** Nodes up to the end, or up to the `}` that closes a nested format. */
  sequence(nested: boolean): FormatNode[] {
    const nodes: FormatNode[] = [];
    let text = '';
    const flush = (): void => {
      if (text !== '') nodes.push({ kind: 'text', text });
      text = '';
    };
    while (this.at < this.format.length) {
      const char = this.format[this.at] as string;
      if (nested && char === '}') break;
      if (char === '\\') {
        const escaped = this.format[this.at + 1] ?? '';
        text += ESCAPES[escaped] ?? escaped;
        this.at += 2;
      } else if (char === '%' && this.format[this.at + 1] === '%') {
        text += '%';
        this.at += 2;
      } else if (char === '%') {
        flush();
        nodes.push(this.directive());
      } else {
        text += char;
        this.at += 1;
      }
    }
    if (nested && this.format[this.at] !== '}') throw new FormatError('missing }');
    flush();
    return nodes;
  }

  private directive(): FormatNode {
    this.at += 1;
    if (this.format[this.at] === '|') return this.conditional();
    const width = /^(-?)(\d*)\{/.exec(this.format.slice(this.at));
    if (width === null) throw new FormatError('missing { after %');
    this.at += width[0].length;
    const tag = this.tagUntil('}');
    return { kind: 'tag', tag, width: width[2] === '' ? undefined : Number(width[2]), leftAlign: width[1] === '-' };
  }

  /** %|TAG?{present}:{absent}| — the `:{absent}` part may be left out. */
  private conditional(): FormatNode {
    this.at += 1;
    const tag = this.tagUntil('?');
    const then = this.braced();
    let otherwise: FormatNode[] = [];
    if (this.format[this.at] === ':') {
      this.at += 1;
      otherwise = this.braced();
    }
    if (this.format[this.at] !== '|') throw new FormatError('| expected at end of ?: expression');
    this.at += 1;
    return { kind: 'if', tag, then, otherwise };
  }

  private braced(): FormatNode[] {
    if (this.format[this.at] !== '{') throw new FormatError('{ expected after : in expression');
    this.at += 1;
    const nodes = this.sequence(true);
    this.at += 1;
    return nodes;
  }

  private tagUntil(end: string): string {
    const close = this.format.indexOf(end, this.at);
    if (close < 0) throw new FormatError(`missing ${end}`);
    const raw = this.format.slice(this.at, close).split(':')[0] ?? '';
    this.at = close + 1;
    const tag = raw.toUpperCase().replace(/^RPMTAG_/, '');
    if (!this.knownTags.has(tag)) throw new FormatError(`unknown tag: "${raw}"`);
    return tag;
  }
}
