/**
 * Just enough XML for nginx-rtmp's `rtmp_stat` page: elements, text, the five
 * predefined entities and numeric character references. Attributes, CDATA and
 * DTDs are not supported (the stat page uses none); malformed nesting throws.
 */
export interface XmlElement {
  readonly name: string;
  readonly children: XmlElement[];
  /** Concatenated text directly inside this element, entities decoded, trimmed. */
  text: string;
}

const TOKEN = /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<(\/?)([A-Za-z_][\w.:-]*)[^>]*?(\/?)>|([^<]+)/g;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return ENTITIES[ref] ?? whole;
  });
}

/** Parses a document and returns its root element. */
export function parseXml(source: string): XmlElement {
  const root: XmlElement = { name: '#document', children: [], text: '' };
  const stack: XmlElement[] = [root];
  for (const m of source.matchAll(TOKEN)) {
    const [, closing, name, selfClosing, text] = m;
    const top = stack[stack.length - 1]!;
    if (text !== undefined) {
      top.text += decodeEntities(text);
    } else if (name === undefined) {
      continue; // processing instruction or comment
    } else if (closing === '/') {
      if (top.name !== name) throw new Error(`XML: </${name}> closes <${top.name}>`);
      top.text = top.text.trim();
      stack.pop();
    } else {
      const el: XmlElement = { name, children: [], text: '' };
      top.children.push(el);
      if (selfClosing !== '/') stack.push(el);
    }
  }
  if (stack.length !== 1) throw new Error(`XML: <${stack[stack.length - 1]!.name}> not closed`);
  const [doc] = root.children;
  if (doc === undefined || root.children.length !== 1) throw new Error('XML: expected exactly one root element');
  return doc;
}

/** Child elements named `name`. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** Text of the first child named `name`, or undefined. */
export function childText(el: XmlElement, name: string): string | undefined {
  return el.children.find((c) => c.name === name)?.text;
}

export function hasChild(el: XmlElement, name: string): boolean {
  return el.children.some((c) => c.name === name);
}
