/**
 * The page side of the PWA. The app's entry imports this module (one line in src/app/main.ts); in a
 * production build it:
 *
 * 1. registers sw.js, whose scope is the app root;
 * 2. runs the update protocol: a new version installs in the background and waits, while the old
 *    one keeps serving the open page (a running generation keeps its files). When a version is
 *    waiting and the page is idle, <sd-update-prompt> offers a reload; Reload tells the waiting worker
 *    to take over ({type: 'skip-waiting'}) and reloads once it controls the page. Updates are looked
 *    for at start, whenever the tab becomes visible, and hourly;
 * 3. makes the app cross-origin isolated on static hosts that cannot send COOP/COEP headers: the
 *    service worker adds them, but only to pages it serves, so a first visit is not isolated. When the
 *    worker takes control of such a page while it is idle (and no field has focus), one reload
 *    (once per session) isolates it; otherwise isolation starts with the next visit.
 *
 * "Busy" is the app's <body data-state> (loading, generating, cancelling) or any <sd-text-to-image busy> (busy.ts).
 */
import { pageBusySignal, whenIdle, type BusySignal } from './busy.js';
import { SdUpdatePromptElement } from './update-prompt.js';

export const SERVICE_WORKER_URL = 'sw.js';
const ISOLATION_RELOAD_KEY = 'sd-web:isolation-reload';

export interface RegisterOptions {
  /** The service worker script (default: sw.js at the app's base). */
  scriptUrl?: string;
  container?: ServiceWorkerContainer;
  busy?: BusySignal;
  /** Offers a waiting update to the user once the page is idle; `apply` reloads into it. Default: <sd-update-prompt>. */
  offerUpdate?: (apply: () => void) => void;
  reload?: () => void;
  session?: Pick<Storage, 'getItem' | 'setItem'>;
  /** How often to look for an update while the page is open (default hourly). */
  checkEveryMs?: number;
}

export async function registerServiceWorker(options: RegisterOptions = {}): Promise<ServiceWorkerRegistration> {
  const container = options.container ?? navigator.serviceWorker;
  const busy = options.busy ?? pageBusySignal();
  const reload = options.reload ?? (() => location.reload());
  const offerUpdate = options.offerUpdate ?? ((apply) => showUpdatePrompt(busy, apply));
  const scriptUrl = options.scriptUrl ?? new URL(SERVICE_WORKER_URL, new URL(import.meta.env.BASE_URL, location.href)).href;

  const registration = await container.register(scriptUrl, { scope: './', updateViaCache: 'none' });

  // 2. Updates. Only when a page is already controlled is a new installed worker an update (else it is the first install).
  let offered: ServiceWorker | null = null;
  const offer = (worker: ServiceWorker) => {
    if (offered === worker || !container.controller) return;
    offered = worker;
    whenIdle(busy, () =>
      offerUpdate(() => {
        container.addEventListener('controllerchange', () => reload(), { once: true });
        worker.postMessage({ type: 'skip-waiting' });
      }),
    );
  };
  if (registration.waiting) offer(registration.waiting);
  registration.addEventListener('updatefound', () => {
    const installing = registration.installing;
    installing?.addEventListener('statechange', () => {
      if (installing.state === 'installed') offer(installing);
    });
  });
  const check = () => void registration.update().catch(() => undefined);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && check());
  setInterval(check, options.checkEveryMs ?? 60 * 60 * 1000);

  // 3. Cross-origin isolation where the server sent no headers.
  const session = options.session ?? sessionStorage;
  if (globalThis.crossOriginIsolated === false && !session.getItem(ISOLATION_RELOAD_KEY)) {
    const isolate = () => {
      const typing = document.activeElement instanceof HTMLInputElement || document.activeElement instanceof HTMLTextAreaElement;
      if (busy.isBusy() || typing) return;
      session.setItem(ISOLATION_RELOAD_KEY, '1');
      reload();
    };
    if (container.controller) isolate();
    else container.addEventListener('controllerchange', isolate, { once: true });
  }
  return registration;
}

/** Shows <sd-update-prompt>, hidden whenever the page is busy. */
function showUpdatePrompt(busy: BusySignal, apply: () => void): void {
  SdUpdatePromptElement.define();
  const prompt = document.createElement('sd-update-prompt');
  const stop = busy.onChange(() => (prompt.busy = busy.isBusy()));
  prompt.addEventListener('sd-update-accept', apply, { once: true });
  prompt.addEventListener(
    'sd-update-dismiss',
    () => {
      stop();
      prompt.remove();
    },
    { once: true },
  );
  document.body.append(prompt);
}

if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  registerServiceWorker().catch((error: unknown) => console.warn('The service worker could not be registered; the app works, but not offline.', error));
}
