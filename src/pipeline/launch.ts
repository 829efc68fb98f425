// A small reader for gst-launch descriptions: enough to list the elements a template needs
// (checked against the registry before a camera starts) and to reject a malformed template
// when it is loaded rather than when gst_parse_launch fails on a device in the field.

export type LaunchToken =
  | { kind: 'link' }
  | { kind: 'element'; text: string }
  | { kind: 'caps'; text: string }
  | { kind: 'property'; text: string }
  | { kind: 'padref'; text: string }
  | { kind: 'unknown'; text: string };

const CAPS = /^[a-z]+\/[A-Za-z0-9._+-]+(\([^()]*\))?(,|$)/;
const PROPERTY = /^[A-Za-z][\w-]*=/;
const PADREF = /^[A-Za-z_][\w-]*\.[\w%-]*$/;
const ELEMENT = /^[A-Za-z0-9_][\w-]*$/;

/**
 * Splits on whitespace and '!' outside double quotes, keeping the quotes in the token:
 * gst-launch-1.0 escapes spaces only outside quotes, so these tokens can be passed to it
 * as separate argv entries unchanged.
 */
export function splitLaunch(launch: string): string[] {
  const tokens: string[] = [];
  let cur = '';
  let inQuotes = false;
  for (let i = 0; i < launch.length; i++) {
    const c = launch.charAt(i);
    if (c === '\\' && i + 1 < launch.length) {
      cur += c + launch.charAt(++i);
      continue;
    }
    if (c === '"') inQuotes = !inQuotes;
    if (!inQuotes && (c === ' ' || c === '\t' || c === '\n' || c === '\r')) {
      if (cur) tokens.push(cur);
      cur = '';
      continue;
    }
    if (!inQuotes && c === '!') {
      if (cur) tokens.push(cur);
      tokens.push('!');
      cur = '';
      continue;
    }
    cur += c;
  }
  if (inQuotes) throw new Error(`unbalanced double quote in launch description: ${launch}`);
  if (cur) tokens.push(cur);
  return tokens;
}

export function classify(token: string): LaunchToken {
  if (token === '!') return { kind: 'link' };
  if (CAPS.test(token)) return { kind: 'caps', text: token };
  if (PROPERTY.test(token)) return { kind: 'property', text: token };
  if (PADREF.test(token)) return { kind: 'padref', text: token };
  if (ELEMENT.test(token)) return { kind: 'element', text: token };
  return { kind: 'unknown', text: token };
}

/** Factory names used by a launch description, in order, without duplicates. */
export function launchElements(launch: string): string[] {
  const seen = new Set<string>();
  for (const t of splitLaunch(launch).map(classify)) {
    if (t.kind === 'element') seen.add(t.text);
  }
  return [...seen];
}

/**
 * Grammar problems gst_parse_launch would reject (or silently misread): a property with no
 * element before it, two links in a row, a dangling link, an unreadable token. Empty = fine.
 */
export function lintLaunch(launch: string): string[] {
  let tokens: LaunchToken[];
  try {
    tokens = splitLaunch(launch).map(classify);
  } catch (err) {
    return [(err as Error).message];
  }
  const problems: string[] = [];
  if (tokens.length === 0) return ['empty launch description'];
  // What the previous token allows next: 'head' after a link or at the start.
  let prev: LaunchToken['kind'] | 'start' = 'start';
  for (const t of tokens) {
    switch (t.kind) {
      case 'link':
        if (prev === 'start' || prev === 'link') problems.push("'!' with nothing to link on its left");
        break;
      case 'property':
        if (prev !== 'element' && prev !== 'property') problems.push(`property ${t.text} does not follow an element`);
        break;
      case 'caps':
        if (prev !== 'link' && prev !== 'start') problems.push(`caps ${t.text} must follow '!'`);
        break;
      case 'unknown':
        problems.push(`cannot read token ${t.text}`);
        break;
      case 'element':
        // Legal gst syntax (it starts a new, unlinked chain) but in a template it is a missing '!'.
        if (prev !== 'link' && prev !== 'start') problems.push(`missing '!' before element ${t.text}`);
        break;
      case 'padref':
        break;
    }
    prev = t.kind;
  }
  if (prev === 'link') problems.push("launch description ends with '!'");
  return problems;
}
