// A small, strict XML 1.0 reader for tests of the generated plist and WinSW files: one root element, matched tags,
// quoted unique attributes, only the five predefined entities and character references, no stray `<` or `&`, no
// control characters. It refuses what it does not know (CDATA, processing instructions, internal DTD subsets)
// rather than guess, so anything it accepts a conforming parser reads the same way. No XML parser is installed
// here, and macOS's plutil is not available on Linux.

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly (XmlElement | string)[];
}

const NAME = /[A-Za-z_][\w.-]*/y;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function parseXml(text: string): XmlElement {
  return new XmlReader(text).document();
}

/** One pass over a document: the prolog, the root element with its attributes and content, nothing after it. */
class XmlReader {
  private position = 0;

  constructor(private readonly text: string) {}

  document(): XmlElement {
    this.refuseForbiddenCharacters();
    this.prolog();
    const root = this.element();
    this.skipMisc();
    if (this.position !== this.text.length) this.fail('content after the root element');
    return root;
  }

  private fail(message: string): never {
    const line = this.text.slice(0, this.position).split('\n').length;
    throw new Error(`XML: ${message} (line ${line}, offset ${this.position})`);
  }

  private refuseForbiddenCharacters(): void {
    // eslint-disable-next-line no-control-regex -- XML 1.0 forbids these characters anywhere in a document
    const forbidden = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.exec(this.text);
    if (!forbidden) return;
    this.position = forbidden.index;
    this.fail(`character U+${forbidden[0].charCodeAt(0).toString(16).padStart(4, '0')} is not allowed`);
  }

  /** The XML declaration, comments, and a document type declaration without an internal subset. */
  private prolog(): void {
    if (this.startsWith('<?xml')) {
      const end = this.text.indexOf('?>');
      if (end < 0) this.fail('an unterminated XML declaration');
      if (!/^<\?xml version="1\.0"( encoding="UTF-8")?\?>$/.test(this.text.slice(0, end + 2))) this.fail('an unexpected XML declaration');
      this.position = end + 2;
    }
    this.skipMisc();
    if (this.startsWith('<!DOCTYPE')) {
      const end = this.text.indexOf('>', this.position);
      if (end < 0 || this.text.slice(this.position, end).includes('[')) this.fail('a document type declaration with an internal subset is not supported');
      this.position = end + 1;
    }
    this.skipMisc();
  }

  private startsWith(token: string): boolean {
    return this.text.startsWith(token, this.position);
  }

  private skipSpace(): void {
    while (/\s/.test(this.text[this.position] ?? '')) this.position++;
  }

  private name(): string {
    NAME.lastIndex = this.position;
    const match = NAME.exec(this.text);
    if (!match) return this.fail('a name was expected');
    this.position += match[0].length;
    return match[0];
  }

  /** Character data or an attribute value with its entity and character references replaced. */
  private decode(raw: string): string {
    return raw.replace(/&([^;&\s<]*);|&/g, (whole, reference: string | undefined) => {
      if (reference === undefined) return this.fail(`a bare "&" in ${JSON.stringify(raw)}`);
      if (reference in ENTITIES) return ENTITIES[reference]!;
      const numeric = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(reference);
      if (!numeric) return this.fail(`unknown entity ${whole}`);
      return String.fromCodePoint(numeric[1] !== undefined ? parseInt(numeric[1], 16) : Number(numeric[2]));
    });
  }

  /** White space and comments. */
  private skipMisc(): void {
    for (;;) {
      this.skipSpace();
      if (!this.startsWith('<!--')) return;
      const end = this.text.indexOf('-->', this.position + 4);
      if (end < 0) this.fail('an unterminated comment');
      if (this.text.slice(this.position + 4, end).includes('--')) this.fail('"--" inside a comment');
      this.position = end + 3;
    }
  }

  private element(): XmlElement {
    if (!this.startsWith('<')) this.fail('"<" was expected');
    this.position++;
    const tag = this.name();
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = this.position;
      this.skipSpace();
      if (this.startsWith('/>')) {
        this.position += 2;
        return { name: tag, attributes, children: [] };
      }
      if (this.startsWith('>')) {
        this.position++;
        return { name: tag, attributes, children: this.content(tag) };
      }
      if (this.position === before) this.fail('white space was expected before an attribute');
      const [attribute, value] = this.attribute();
      if (attribute in attributes) this.fail(`attribute ${attribute} appears twice`);
      attributes[attribute] = value;
    }
  }

  /** `name="value"` (or single quotes), the value decoded. */
  private attribute(): [string, string] {
    const attribute = this.name();
    this.skipSpace();
    if (!this.startsWith('=')) this.fail('"=" was expected');
    this.position++;
    this.skipSpace();
    const quote = this.text[this.position];
    if (quote !== '"' && quote !== "'") return this.fail('a quoted attribute value was expected');
    const end = this.text.indexOf(quote, this.position + 1);
    if (end < 0) this.fail('an unterminated attribute value');
    const raw = this.text.slice(this.position + 1, end);
    if (raw.includes('<')) this.fail('"<" inside an attribute value');
    this.position = end + 1;
    return [attribute, this.decode(raw)];
  }

  /** What follows a start tag up to and including its end tag: text, comments and child elements. */
  private content(tag: string): (XmlElement | string)[] {
    const children: (XmlElement | string)[] = [];
    for (;;) {
      const next = this.text.indexOf('<', this.position);
      if (next < 0) this.fail(`<${tag}> is not closed`);
      const raw = this.text.slice(this.position, next);
      if (raw.includes(']]>')) this.fail('"]]>" in character data');
      if (raw.length > 0) children.push(this.decode(raw));
      this.position = next;
      if (this.startsWith('</')) {
        this.endTag(tag);
        return children;
      }
      if (this.startsWith('<!--')) this.skipMisc();
      else if (this.startsWith('<!') || this.startsWith('<?')) this.fail('CDATA, declarations and processing instructions are not supported inside elements');
      else children.push(this.element());
    }
  }

  private endTag(tag: string): void {
    this.position += 2;
    const closing = this.name();
    if (closing !== tag) this.fail(`</${closing}> closes <${tag}>`);
    this.skipSpace();
    if (!this.startsWith('>')) this.fail('">" was expected');
    this.position++;
  }
}

/** The element children of `element`, failing on text other than white space between them. */
export function childElements(element: XmlElement): XmlElement[] {
  return element.children.filter((child): child is XmlElement => {
    if (typeof child === 'string') {
      if (child.trim() !== '') throw new Error(`XML: unexpected text ${JSON.stringify(child)} in <${element.name}>`);
      return false;
    }
    return true;
  });
}

export const textOf = (element: XmlElement): string => element.children.map((child) => (typeof child === 'string' ? child : textOf(child))).join('');

export type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

/** A property list (`<plist version="1.0">` with one value) as a JavaScript value. */
export function parsePlist(text: string): PlistValue {
  const root = parseXml(text);
  if (root.name !== 'plist' || root.attributes['version'] !== '1.0') throw new Error('plist: the root is not <plist version="1.0">');
  const [value, ...rest] = childElements(root);
  if (!value || rest.length > 0) throw new Error('plist: <plist> must hold exactly one value');
  return plistValue(value);
}

function plistValue(element: XmlElement): PlistValue {
  switch (element.name) {
    case 'string':
      return textOf(element);
    case 'integer':
      if (!/^-?\d+$/.test(textOf(element))) throw new Error(`plist: <integer>${textOf(element)}</integer>`);
      return Number(textOf(element));
    case 'true':
    case 'false':
      if (element.children.length > 0) throw new Error(`plist: <${element.name}/> must be empty`);
      return element.name === 'true';
    case 'array':
      return childElements(element).map(plistValue);
    case 'dict': {
      const children = childElements(element);
      const dict: Record<string, PlistValue> = {};
      for (let index = 0; index < children.length; index += 2) {
        const key = children[index]!;
        const value = children[index + 1];
        if (key.name !== 'key' || !value || value.name === 'key') throw new Error('plist: a <dict> must alternate <key> and a value');
        if (textOf(key) in dict) throw new Error(`plist: key ${textOf(key)} appears twice`);
        dict[textOf(key)] = plistValue(value);
      }
      return dict;
    }
    default:
      throw new Error(`plist: <${element.name}> is not a plist value this reader knows`);
  }
}
