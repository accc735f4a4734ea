// A strict little markup checker for the report tests (no parser dependency in the project):
// tags balanced and properly nested, attributes quoted and not repeated, '&' only in entities,
// no stray '<'. XML mode requires every element closed; HTML mode knows the void elements.

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
const RAW = new Set(['style', 'script']);

export function markupErrors(text: string, mode: 'xml' | 'html'): string[] {
  const errors: string[] = [];
  const stack: string[] = [];
  let i = 0;
  const checkText = (t: string, at: number) => {
    const bad = t.match(/&(?!(?:[a-zA-Z]+|#[0-9]+|#x[0-9a-fA-F]+);)/);
    if (bad) errors.push(`bare & at ${at + bad.index!}`);
    if (t.includes('>') && mode === 'xml' && t.includes(']]>')) errors.push(`]]> in text at ${at}`);
  };
  if (mode === 'html') {
    if (!/^<!DOCTYPE html>/i.test(text)) errors.push('missing <!DOCTYPE html>');
  }
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt < 0) {
      checkText(text.slice(i), i);
      break;
    }
    checkText(text.slice(i, lt), i);
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt);
      if (end < 0) return [...errors, `unclosed comment at ${lt}`];
      i = end + 3;
      continue;
    }
    if (text.startsWith('<!', lt) || text.startsWith('<?', lt)) {
      const end = text.indexOf('>', lt);
      i = end + 1;
      continue;
    }
    const m = /^<(\/?)([a-zA-Z][a-zA-Z0-9:-]*)((?:\s+[a-zA-Z_:][a-zA-Z0-9_:.-]*(?:\s*=\s*(?:"[^"<]*"|'[^'<]*'))?)*)\s*(\/?)>/.exec(text.slice(lt, lt + 200_000));
    if (!m) {
      errors.push(`malformed tag at ${lt}: ${JSON.stringify(text.slice(lt, lt + 60))}`);
      i = lt + 1;
      continue;
    }
    const [all, close, rawName, attrs, selfClose] = m;
    const name = mode === 'html' ? rawName!.toLowerCase() : rawName!;
    const names = [...attrs!.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:.-]*)(\s*=\s*("[^"]*"|'[^']*'))?/g)];
    const seen = new Set<string>();
    for (const a of names) {
      if (seen.has(a[1]!)) errors.push(`repeated attribute ${a[1]} on <${name}> at ${lt}`);
      seen.add(a[1]!);
      if (mode === 'xml' && !a[2]) errors.push(`attribute ${a[1]} without value at ${lt}`);
      if (a[3]) checkText(a[3], lt);
    }
    i = lt + all!.length;
    if (close) {
      const top = stack.pop();
      if (top !== name) errors.push(`</${name}> at ${lt} closes <${top ?? 'nothing'}>`);
    } else if (selfClose || (mode === 'html' && VOID.has(name))) {
      // no content
    } else if (mode === 'html' && RAW.has(name)) {
      const end = text.indexOf(`</${name}>`, i);
      if (end < 0) return [...errors, `unclosed <${name}>`];
      i = end + name.length + 3;
    } else {
      stack.push(name);
    }
  }
  if (stack.length) errors.push(`unclosed: ${stack.join(' > ')}`);
  return errors;
}
