import { XMLParser } from 'fast-xml-parser';
import { AwsError } from '../../errors.js';

export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export const s3Err = (code: string, message: string, status: number, extra: Record<string, unknown> = {}) =>
  new AwsError(code, message, status, extra);
export const malformedXml = () =>
  s3Err('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);

export type XmlValue = string | number | boolean | undefined | null | XmlValue[] | { [name: string]: XmlValue };

/**
 * Escapes text for XML 1.0 element content. Control characters are written as character
 * references, as S3 does for keys containing e.g. a carriage return.
 */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000d\u000e-\u001f]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
    }
  });
}

/** `{ A: 'x', B: [{ C: 1 }, { C: 2 }] }` → `<A>x</A><B><C>1</C></B><B><C>2</C></B>`; undefined members are left out. */
export function xmlElement(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => xmlElement(name, v)).join('');
  if (typeof value === 'object') {
    const inner = Object.entries(value)
      .map(([k, v]) => xmlElement(k, v))
      .join('');
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** A complete S3 XML document with the S3 namespace on the root element. */
export function xmlDocument(root: string, value: { [name: string]: XmlValue }, namespace = true): string {
  const inner = Object.entries(value)
    .map(([k, v]) => xmlElement(k, v))
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${namespace ? ` xmlns="${S3_NS}"` : ''}>${inner}</${root}>`;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  // Keys are data: keep every character and never turn "007" into 7.
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  isArray: (name) => name === 'Object' || name === 'Part',
});

/** Parses a request document; anything that is not XML with the expected root is MalformedXML. */
export function parseXml(body: Buffer, root: string): Record<string, unknown> {
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(body.toString('utf8'), true) as Record<string, unknown>;
  } catch {
    throw malformedXml();
  }
  const r = doc[root];
  if (!r || typeof r !== 'object') throw malformedXml();
  return r as Record<string, unknown>;
}

/** Text of a child element, or undefined. */
export function text(node: unknown, name: string): string | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const v = (node as Record<string, unknown>)[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && '#text' in (v as object)) return String((v as Record<string, unknown>)['#text']);
  if (typeof v === 'object' && Object.keys(v as object).length === 0) return '';
  return String(v);
}
