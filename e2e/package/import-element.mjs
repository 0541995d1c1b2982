// Runs in the folder the packed package was installed into: imports the element's entries in Node
// (no DOM, as SSR and test runners do) and prints what they export.
const element = await import('sd-web/element');
await import('sd-web/element/define');
console.log(
  JSON.stringify({
    exports: Object.keys(element).sort(),
    assetsUrl: element.SdTextToImageElement.assetsUrl,
    observedAttributes: element.SdTextToImageElement.observedAttributes,
    workerStarted: element.SdTextToImageElement.sharedEngine.started,
    hasDocument: typeof globalThis.document !== 'undefined',
  }),
);
