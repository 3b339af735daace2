// Tiny DOM helpers. Text always goes through textContent / createTextNode: nothing that
// came from a URL, a file or a message is ever parsed as HTML.

/**
 * el('button', {id: 'x', class: 'a b', type: 'button', dataset: {k: 'v'}, on: {click: fn}}, 'text', child)
 * Attribute values are set with setAttribute (never event-handler attributes: use `on`).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'on') {
      for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
    } else if (key === 'dataset') {
      Object.assign(node.dataset, value);
    } else if (key === 'class') {
      node.className = value;
    } else if (key === 'text') {
      node.textContent = value;
    } else if (/^on/i.test(key)) {
      throw new Error(`el: use {on: {...}} for event handlers, not ${key}`);
    } else {
      node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Remove every child of node. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** Start a download of a URL (data: or blob:) under a file name. */
export function download(url, filename) {
  const a = el('a', { href: url, download: filename, class: 'hidden' });
  document.body.append(a);
  a.click();
  a.remove();
}

/** Download text as a file (a blob: URL, revoked afterwards). */
export function downloadText(text, filename, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  download(url, filename);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Copy text to the clipboard; resolves true when it worked. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Show a message in the list with id "messages" (textContent only; a dismiss button; at most
 * `keep` shown). kind: 'error' | 'warn' | 'info'; errors also go to the console with `tag`.
 */
export function showMessage(text, kind = 'error', { tag = 'toymoe', keep = 8 } = {}) {
  const list = document.getElementById('messages');
  const item = el('li', { class: `msg msg-${kind}` },
    el('span', { class: 'msg-text' }, String(text)),
    el('button', { type: 'button', class: 'msg-close', 'aria-label': 'Dismiss message', on: { click: () => item.remove() } }, '×'));
  list.append(item);
  while (list.children.length > keep) list.firstElementChild.remove();
  if (kind === 'error') console.warn(`${tag}: ${text}`);
}
