// A tiny DOM helper: h('div', {class: 'x', onclick: fn}, 'text', child).

let counter = 0

/** A unique element id with a readable prefix. */
export const uid = (prefix = 'f') => `${prefix}-${++counter}`

/** Create an element with attributes, properties (on*, dataset) and children. */
export const h = (tag, attrs = {}, ...children) => {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value)
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value)
    } else if (key === 'class') {
      el.className = value
    } else if (key === 'style') {
      // Through the CSSOM: the Content-Security-Policy blocks style="…" attributes.
      el.style.cssText = String(value)
    } else if (value === true) {
      el.setAttribute(key, '')
    } else {
      el.setAttribute(key, String(value))
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return el
}

/** A heading of the given level (clamped to h2–h6). */
export const heading = (level, ...children) => h(`h${Math.min(6, Math.max(2, level))}`, {}, ...children)
