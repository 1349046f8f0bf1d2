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
  let position = 0;
  const fail = (message: string): never => {
    const line = text.slice(0, position).split('\n').length;
    throw new Error(`XML: ${message} (line ${line}, offset ${position})`);
  };
  // eslint-disable-next-line no-control-regex -- XML 1.0 forbids these characters anywhere in a document
  const forbidden = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.exec(text);
  if (forbidden) {
    position = forbidden.index;
    fail(`character U+${forbidden[0].charCodeAt(0).toString(16).padStart(4, '0')} is not allowed`);
  }
  const startsWith = (token: string) => text.startsWith(token, position);
  const skipSpace = () => {
    while (/\s/.test(text[position] ?? '')) position++;
  };
  const name = (): string => {
    NAME.lastIndex = position;
    const match = NAME.exec(text);
    if (!match) fail('a name was expected');
    position += match![0].length;
    return match![0];
  };
  const decode = (raw: string): string =>
    raw.replace(/&([^;&\s<]*);|&/g, (whole, reference: string | undefined) => {
      if (reference === undefined) return fail(`a bare "&" in ${JSON.stringify(raw)}`);
      if (reference in ENTITIES) return ENTITIES[reference]!;
      const numeric = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(reference);
      if (!numeric) return fail(`unknown entity ${whole}`);
      return String.fromCodePoint(numeric[1] !== undefined ? parseInt(numeric[1], 16) : Number(numeric[2]));
    });
  const skipMisc = () => {
    for (;;) {
      skipSpace();
      if (!startsWith('<!--')) return;
      const end = text.indexOf('-->', position + 4);
      if (end < 0) fail('an unterminated comment');
      if (text.slice(position + 4, end).includes('--')) fail('"--" inside a comment');
      position = end + 3;
    }
  };
  const element = (): XmlElement => {
    if (!startsWith('<')) fail('"<" was expected');
    position++;
    const tag = name();
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = position;
      skipSpace();
      if (startsWith('/>')) {
        position += 2;
        return { name: tag, attributes, children: [] };
      }
      if (startsWith('>')) {
        position++;
        break;
      }
      if (position === before) fail('white space was expected before an attribute');
      const attribute = name();
      if (attribute in attributes) fail(`attribute ${attribute} appears twice`);
      skipSpace();
      if (!startsWith('=')) fail('"=" was expected');
      position++;
      skipSpace();
      const quote = text[position];
      if (quote !== '"' && quote !== "'") fail('a quoted attribute value was expected');
      const end = text.indexOf(quote!, position + 1);
      if (end < 0) fail('an unterminated attribute value');
      const raw = text.slice(position + 1, end);
      if (raw.includes('<')) fail('"<" inside an attribute value');
      attributes[attribute] = decode(raw);
      position = end + 1;
    }
    const children: (XmlElement | string)[] = [];
    for (;;) {
      const next = text.indexOf('<', position);
      if (next < 0) fail(`<${tag}> is not closed`);
      const raw = text.slice(position, next);
      if (raw.includes(']]>')) fail('"]]>" in character data');
      if (raw.length > 0) children.push(decode(raw));
      position = next;
      if (startsWith('</')) {
        position += 2;
        const closing = name();
        if (closing !== tag) fail(`</${closing}> closes <${tag}>`);
        skipSpace();
        if (!startsWith('>')) fail('">" was expected');
        position++;
        return { name: tag, attributes, children };
      }
      if (startsWith('<!--')) skipMisc();
      else if (startsWith('<!') || startsWith('<?')) fail('CDATA, declarations and processing instructions are not supported inside elements');
      else children.push(element());
    }
  };

  if (startsWith('<?xml')) {
    const end = text.indexOf('?>');
    if (end < 0) fail('an unterminated XML declaration');
    if (!/^<\?xml version="1\.0"( encoding="UTF-8")?\?>$/.test(text.slice(0, end + 2))) fail('an unexpected XML declaration');
    position = end + 2;
  }
  skipMisc();
  if (startsWith('<!DOCTYPE')) {
    const end = text.indexOf('>', position);
    if (end < 0 || text.slice(position, end).includes('[')) fail('a document type declaration with an internal subset is not supported');
    position = end + 1;
  }
  skipMisc();
  const root = element();
  skipMisc();
  if (position !== text.length) fail('content after the root element');
  return root;
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
