// DOM helpers. Every value from the API is attacker-controlled: render with text nodes only.

export const $ = (id) => document.getElementById(id);
export const value = (id) => $(id).value;

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3,
});
export const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3,
});

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, val] of Object.entries(attrs ?? {})) {
    if (val == null || val === false) continue;
    node.setAttribute(name, val === true ? '' : String(val));
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Untrusted scalar → display string (objects are shown as JSON text, never parsed as markup).
export function show(v, fallback = '—') {
  if (v == null || v === '') return fallback;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function arrayOf(v) {
  return Array.isArray(v) ? v.filter((item) => item && typeof item === 'object') : [];
}

export function hasId(v) {
  return (typeof v === 'string' && v !== '') || typeof v === 'number';
}

export function timeEl(raw, format = timeFormat) {
  const ms = Date.parse(String(raw ?? ''));
  if (raw == null || Number.isNaN(ms)) return el('span', { class: 'time' }, show(raw));
  const iso = new Date(ms).toISOString();
  return el('time', { datetime: iso, title: iso, class: 'time' }, format.format(ms));
}

// Fixed set of kinds so badge colours never depend on raw API strings.
export function statusKind(status) {
  switch (status) {
    case 'initiated': case 'answered': case 'bridged': case 'active': case 'started': return 'live';
    case 'hangup': case 'stopped': return 'ended';
    case 'failed': return 'failed';
    case 'succeeded': case 'delivered': case 'completed': return 'ok';
    case 'pending': case 'dialing': return 'pending';
    default: return 'unknown';
  }
}

export function badge(status) {
  return el('span', { class: 'badge', 'data-kind': statusKind(status) }, show(status, 'unknown'));
}

export function joinParts(parts, separator = ' · ') {
  return parts.filter((p) => p != null && p !== '').flatMap((p, i) => (i ? [separator, p] : [p]));
}

export function setMessage(node, text, kind = 'error') {
  node.textContent = text;
  node.dataset.kind = kind;
}

export function setBusy(button, busy) {
  if (busy) button.setAttribute('aria-busy', 'true');
  else button.removeAttribute('aria-busy');
  button.disabled = busy;
}

// A field's error is the element with its id plus "-error".
export function showFieldError(fieldId, detail) {
  const field = $(fieldId);
  const error = $(`${fieldId}-error`);
  if (!field || !error) return false;
  error.textContent = detail;
  error.hidden = false;
  field.setAttribute('aria-invalid', 'true');
  field.setAttribute('aria-describedby', error.id);
  return true;
}

export function clearFieldErrors(form) {
  for (const error of form.querySelectorAll('.field-error')) {
    error.textContent = '';
    error.hidden = true;
    const field = $(error.id.replace(/-error$/, ''));
    field?.removeAttribute('aria-invalid');
    field?.removeAttribute('aria-describedby');
  }
}
