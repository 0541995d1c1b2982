/** Typed lookups of the page's elements: a missing or mistyped element fails at start-up, loudly. */
export function byId<T extends HTMLElement>(id: string, type: new () => T, root: Document = document): T {
  const element = root.getElementById(id);
  if (!(element instanceof type)) throw new Error(`index.html has no <${type.name}> with id "${id}": the page and src/app are out of step.`);
  return element;
}
