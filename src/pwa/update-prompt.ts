/**
 * <sd-update-prompt>: the small banner that offers a reload when a new version of the app is
 * installed and waiting (see register.ts). It shows itself only while the page is idle
 * (`busy` attribute absent), so a reload never interrupts a generation.
 *
 * @attr busy - set while the app works; the prompt hides until it is removed.
 * @fires sd-update-accept - the user chose Reload (bubbles, composed).
 * @fires sd-update-dismiss - the user chose Later (bubbles, composed).
 * @csspart base - the banner
 * @csspart message - its text
 * @csspart reload-button - the Reload button
 * @csspart dismiss-button - the Later button
 * @cssprop --sd-update-background - banner background (#111827)
 * @cssprop --sd-update-color - banner text (#f9fafb)
 * @cssprop --sd-accent - the Reload button (#4f46e5)
 */
const CSS = /* css */ `
:host { position: fixed; inset: auto 1rem 1rem auto; z-index: 2147483000; font: 0.9rem/1.4 system-ui, sans-serif; }
:host([busy]), :host([hidden]) { display: none; }
.base { display: flex; gap: 0.75rem; align-items: center; padding: 0.6rem 0.8rem; border-radius: 0.5rem;
  background: var(--sd-update-background, #111827); color: var(--sd-update-color, #f9fafb); box-shadow: 0 4px 16px #0004; }
button { font: inherit; border-radius: 0.35rem; padding: 0.3rem 0.8rem; cursor: pointer; border: 1px solid var(--sd-accent, #4f46e5); }
[part~='reload-button'] { background: var(--sd-accent, #4f46e5); color: #fff; }
[part~='dismiss-button'] { background: transparent; color: inherit; border-color: currentColor; }
`;

export class SdUpdatePromptElement extends HTMLElement {
  static define(tag = 'sd-update-prompt', registry: CustomElementRegistry = customElements): typeof SdUpdatePromptElement {
    if (!registry.get(tag)) registry.define(tag, this);
    return this;
  }

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>${CSS}</style>
      <div part="base" class="base" role="status" aria-live="polite">
        <span part="message">A new version of this app is ready.</span>
        <button part="reload-button" type="button">Reload</button>
        <button part="dismiss-button" type="button">Later</button>
      </div>`;
    const fire = (type: 'sd-update-accept' | 'sd-update-dismiss') => this.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true }));
    root.querySelector('[part~="reload-button"]')!.addEventListener('click', () => fire('sd-update-accept'));
    root.querySelector('[part~="dismiss-button"]')!.addEventListener('click', () => {
      this.hidden = true;
      fire('sd-update-dismiss');
    });
  }

  get busy(): boolean {
    return this.hasAttribute('busy');
  }
  set busy(value: boolean) {
    this.toggleAttribute('busy', value);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sd-update-prompt': SdUpdatePromptElement;
  }
  interface HTMLElementEventMap {
    'sd-update-accept': CustomEvent<undefined>;
    'sd-update-dismiss': CustomEvent<undefined>;
  }
}
