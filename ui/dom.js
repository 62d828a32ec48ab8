// Small DOM helpers. Text always goes in as text (never as HTML): certificate
// subjects and device IDs come from devices and may hold anything.

/** h('p', { class: 'x' }, 'text', child): an element with attributes and children. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  element.append(...flatten(children));
  return element;
}

const SVG = 'http://www.w3.org/2000/svg';

/** The same for SVG elements. */
export function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  setAttributes(element, attributes);
  element.append(...flatten(children));
  return element;
}

function setAttributes(element, attributes) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
}

function flatten(children) {
  return children.flat(Infinity).filter((child) => child !== undefined && child !== null && child !== false);
}

/** Replaces an element's children. */
export function show(element, ...children) {
  element.replaceChildren(...flatten(children));
}

/** 2026-06-01 12:00:00 UTC: the log's time zone, readable from the back of the room. */
export function formatTime(ms) {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "in 59 min", "3 min ago", relative to the server's now. */
export function relative(ms, now) {
  const seconds = Math.round((ms - now) / 1000);
  const magnitude = Math.abs(seconds);
  if (magnitude === 0) return 'now';
  const text =
    magnitude < 60
      ? `${magnitude} s`
      : magnitude < 3600
        ? `${Math.round(magnitude / 60)} min`
        : magnitude < 172800
          ? `${Math.round(magnitude / 360) / 10} h`
          : `${Math.round(magnitude / 86400)} days`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

/** "3600 s (1 h)". */
export function duration(seconds) {
  if (seconds % 3600 === 0) return `${seconds} s (${seconds / 3600} h)`;
  if (seconds % 60 === 0) return `${seconds} s (${seconds / 60} min)`;
  return `${seconds} s`;
}

/** The first and last characters of a long hex or base64 value. */
export function short(value, keep = 8) {
  return value.length <= keep * 2 + 1 ? value : `${value.slice(0, keep)}…${value.slice(-keep)}`;
}

/** A status word with its colour: the word carries the meaning, the colour only repeats it. */
export function badge(text, kind) {
  return h('span', { class: `badge badge-${kind}` }, text);
}
