/**
 * <sd-text-to-image>'s shadow styles. Every colour, size and radius reads a `--sd-*` custom property
 * with a default, so a page themes the element without reaching into its shadow root; `::part()`
 * reaches the rest. (The documented list is in README.md and on the element class.)
 */
export const ELEMENT_CSS = /* css */ `
:host {
  display: block;
  box-sizing: border-box;
  max-width: var(--sd-width, 32rem);
  font: var(--sd-font, inherit);
  color: var(--sd-color, inherit);
  background: var(--sd-background, transparent);
  border: var(--sd-border, 1px solid color-mix(in srgb, currentColor 20%, transparent));
  border-radius: var(--sd-radius, 0.5rem);
  padding: var(--sd-padding, 0.75rem);
}
:host([hidden]) { display: none; }
*, *::before, *::after { box-sizing: inherit; }
[hidden] { display: none !important; }

.base { display: grid; gap: var(--sd-gap, 0.5rem); }
form { display: grid; gap: var(--sd-gap, 0.5rem); }
textarea {
  width: 100%;
  min-height: 3.5em;
  resize: vertical;
  font: inherit;
  color: inherit;
  background: var(--sd-input-background, transparent);
  border: var(--sd-border, 1px solid color-mix(in srgb, currentColor 30%, transparent));
  border-radius: var(--sd-radius, 0.5rem);
  padding: 0.4em 0.6em;
}
textarea:focus-visible, button:focus-visible { outline: 2px solid var(--sd-accent, #4f46e5); outline-offset: 2px; }
.actions { display: flex; gap: var(--sd-gap, 0.5rem); align-items: center; }
button {
  font: inherit;
  cursor: pointer;
  border-radius: var(--sd-radius, 0.5rem);
  padding: 0.4em 1em;
  border: 1px solid var(--sd-accent, #4f46e5);
}
button[part~='button'] { background: var(--sd-accent, #4f46e5); color: var(--sd-accent-text, #fff); }
button[part~='cancel-button'] { background: transparent; color: inherit; }
button:disabled { opacity: 0.6; cursor: progress; }

progress {
  width: 100%;
  height: 0.4rem;
  accent-color: var(--sd-accent, #4f46e5);
}
.status { margin: 0; min-height: 1.2em; font-size: 0.875em; opacity: 0.85; overflow-wrap: anywhere; }
:host([data-failed]) .status { color: var(--sd-error-color, #dc2626); opacity: 1; }

.stage {
  position: relative;
  width: min(100%, var(--sd-image-size, 256px));
  aspect-ratio: var(--sd-aspect, 1);
  background: var(--sd-image-background, color-mix(in srgb, currentColor 8%, transparent));
  border-radius: var(--sd-radius, 0.5rem);
  overflow: hidden;
}
.stage > img, .stage > canvas { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: contain; }
`;

let shared: CSSStyleSheet | null = null;

/** One constructed stylesheet shared by every element's shadow root (where the browser has them). */
export function elementStyles(): CSSStyleSheet | null {
  if (shared) return shared;
  if (typeof CSSStyleSheet === 'undefined' || !('replaceSync' in CSSStyleSheet.prototype)) return null;
  shared = new CSSStyleSheet();
  shared.replaceSync(ELEMENT_CSS);
  return shared;
}
