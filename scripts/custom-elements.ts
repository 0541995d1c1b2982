/**
 * custom-elements.json (the Custom Elements Manifest, schema 2.1.0, as read by IDEs, Storybook and
 * web-component catalogues) for <sd-text-to-image>, generated from the element's own JSDoc:
 * `@attr`, `@fires`, `@csspart`, `@cssprop` on the class, its public accessors, methods and statics,
 * and the event detail types of src/element/events.ts (`SdEventDetails`). The build writes it to
 * dist/custom-elements.json (package.json's `customElements`):
 *
 *   node --import tsx scripts/custom-elements.ts OUT.json
 *
 * Tag syntax (the class comment): `@attr name[, name] - description`; a trailing `(value)` on a
 * `@cssprop` is its default (`(a, b)` for two names). A `@fires` event without a detail type in
 * SdEventDetails, or a detail type without a `@fires`, is an error: the manifest must not drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { ATTRIBUTE_PROPERTIES, typeText } from '../src/element/properties.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ELEMENT_SOURCE = 'src/element/sd-text-to-image.ts';
const EVENTS_SOURCE = 'src/element/events.ts';
const CLASS_NAME = 'SdTextToImageElement';
const TAG_NAME = 'sd-text-to-image';
/** Where the package's exports put the modules (package.json). */
const ELEMENT_MODULE = 'dist/lib/sd-text-to-image.js';
const DEFINE_MODULE = 'dist/lib/define.js';
/** Custom-element plumbing, not API. */
const SKIPPED_MEMBERS = new Set(['constructor', 'connectedCallback', 'disconnectedCallback', 'attributeChangedCallback', 'observedAttributes']);

interface Named {
  name: string;
  description: string;
}
interface TypeText {
  text: string;
}
export interface Attribute extends Named {
  fieldName?: string;
  type?: TypeText;
}
export interface Member extends Named {
  kind: 'field' | 'method';
  static?: boolean;
  readonly?: boolean;
  type?: TypeText;
  return?: { type: TypeText };
}
export interface CssProperty extends Named {
  default?: string;
}
export interface CustomElementsManifest {
  schemaVersion: '2.1.0';
  modules: {
    kind: 'javascript-module';
    path: string;
    declarations: Record<string, unknown>[];
    exports: { kind: 'js' | 'custom-element-definition'; name: string; declaration: { name: string; module: string } }[];
  }[];
}

function parse(path: string): ts.SourceFile {
  return ts.createSourceFile(path, readFileSync(ROOT + path, 'utf8'), ts.ScriptTarget.ES2022, true);
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

function commentText(comment: string | ts.NodeArray<ts.JSDocComment> | undefined): string {
  if (comment === undefined) return '';
  return typeof comment === 'string' ? comment : comment.map((part) => part.text).join('');
}

/** The JSDoc description (text before the tags) of a node, on one line. */
function description(node: ts.Node): string {
  return oneLine(
    ts
      .getJSDocCommentsAndTags(node)
      .filter(ts.isJSDoc)
      .map((doc) => commentText(doc.comment))
      .join(' '),
  );
}

/** `@tag a, b - text` → [{name: 'a', text}, {name: 'b', text}] for every `@tag` on `node`. */
function tagged(node: ts.Node, tag: string): { names: string[]; text: string }[] {
  return ts
    .getJSDocTags(node)
    .filter((t) => t.tagName.text === tag)
    .map((t) => {
      const match = /^(.+?)\s+-\s+([\s\S]*)$/.exec(commentText(t.comment).trim());
      if (!match) throw new Error(`${ELEMENT_SOURCE}: @${tag} "${commentText(t.comment)}" is not "name - description".`);
      return { names: match[1].split(',').map((name) => name.trim()), text: oneLine(match[2]) };
    });
}

const camelCase = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function findClass(source: ts.SourceFile): ts.ClassDeclaration {
  let found: ts.ClassDeclaration | undefined;
  source.forEachChild((node) => {
    if (ts.isClassDeclaration(node) && node.name?.text === CLASS_NAME) found = node;
  });
  if (!found) throw new Error(`${ELEMENT_SOURCE} has no class ${CLASS_NAME}.`);
  return found;
}

/** The `SdEventDetails` interface: event name → detail type name. */
function eventDetailTypes(source: ts.SourceFile): Map<string, string> {
  const types = new Map<string, string>();
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || node.name.text !== 'SdEventDetails') return;
    for (const member of node.members) {
      if (ts.isPropertySignature(member) && member.type) types.set((member.name as ts.StringLiteral).text, member.type.getText(source));
    }
  });
  return types;
}

const isStatic = (node: ts.Node) => ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
const isPublicName = (name: ts.PropertyName | undefined): name is ts.Identifier =>
  name !== undefined && ts.isIdentifier(name) && !SKIPPED_MEMBERS.has(name.text);

function members(cls: ts.ClassDeclaration, source: ts.SourceFile): Member[] {
  const result: Member[] = [];
  const setters = new Set(cls.members.filter(ts.isSetAccessorDeclaration).map((m) => m.name.getText(source)));
  for (const member of cls.members) {
    if (!isPublicName(member.name)) continue;
    const name = member.name.text;
    const common = { name, description: description(member), ...(isStatic(member) ? { static: true } : {}) };
    if (ts.isGetAccessorDeclaration(member)) {
      result.push({
        kind: 'field',
        ...common,
        ...(member.type ? { type: { text: member.type.getText(source) } } : {}),
        ...(setters.has(name) ? {} : { readonly: true }),
      });
    } else if (ts.isPropertyDeclaration(member)) {
      const readonly = (ts.getModifiers(member) ?? []).some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword);
      result.push({
        kind: 'field',
        ...common,
        ...(member.type ? { type: { text: member.type.getText(source) } } : {}),
        ...(readonly ? { readonly: true } : {}),
      });
    } else if (ts.isMethodDeclaration(member)) {
      result.push({ kind: 'method', ...common, ...(member.type ? { return: { type: { text: member.type.getText(source) } } } : {}) });
    }
  }
  return result;
}

/** The node the element's JSDoc (the one with the `@attr` tags) belongs to: the file's header, or the class. */
function documented(source: ts.SourceFile, cls: ts.ClassDeclaration): ts.Node {
  const node = [...source.statements, cls].find((statement) => ts.getJSDocTags(statement).some((tag) => tag.tagName.text === 'attr'));
  if (!node) throw new Error(`${ELEMENT_SOURCE}: no JSDoc with @attr tags (on the file header or on ${CLASS_NAME}).`);
  return node;
}

export function customElementsManifest(): CustomElementsManifest {
  const source = parse(ELEMENT_SOURCE);
  const cls = findClass(source);
  const doc = documented(source, cls);
  // The attribute-backed properties come from their table, the element's other members from its class.
  const tableFields: Member[] = ATTRIBUTE_PROPERTIES.map((row) => ({
    kind: 'field',
    name: row.property,
    description: row.note ?? '',
    type: { text: typeText(row) },
  }));
  const classMembers = members(cls, source);
  const allMembers = [...classMembers.filter((m) => m.static), ...tableFields, ...classMembers.filter((m) => !m.static)];
  const fields = new Map(allMembers.filter((m) => m.kind === 'field' && !m.static).map((m) => [m.name, m]));

  const attributes: Attribute[] = [
    ...ATTRIBUTE_PROPERTIES.map((row) => ({ name: row.attribute, description: row.description, fieldName: row.property, type: { text: typeText(row) } })),
    ...tagged(doc, 'attr').flatMap(({ names, text }) =>
      names.map((name) => {
        const field = fields.get(camelCase(name));
        return { name, description: text, ...(field ? { fieldName: field.name, type: field.type } : {}) };
      }),
    ),
  ];

  const details = eventDetailTypes(parse(EVENTS_SOURCE));
  const events = tagged(doc, 'fires').flatMap(({ names, text }) =>
    names.map((name) => {
      const detail = details.get(name);
      if (!detail) throw new Error(`${ELEMENT_SOURCE}: @fires ${name} has no detail type in ${EVENTS_SOURCE} (SdEventDetails).`);
      return { name, description: text, type: { text: `CustomEvent<${detail}>` } };
    }),
  );
  const undocumented = [...details.keys()].filter((name) => !events.some((event) => event.name === name));
  if (undocumented.length > 0) throw new Error(`${ELEMENT_SOURCE}: no @fires for ${undocumented.join(', ')} (in ${EVENTS_SOURCE}).`);

  const cssParts = tagged(doc, 'csspart').flatMap(({ names, text }) => names.map((name) => ({ name, description: text })));
  const cssProperties: CssProperty[] = tagged(doc, 'cssprop').flatMap(({ names, text }) => {
    const match = /^(.*?)\s*\(([^()]*)\)$/.exec(text);
    const defaults = match?.[2].split(',').map((value) => value.trim());
    const usable = defaults && defaults.length === names.length;
    return names.map((name, i) => ({ name, description: usable ? match![1] : text, ...(usable ? { default: defaults[i] } : {}) }));
  });

  const define = { name: 'defineSdTextToImage', module: ELEMENT_MODULE };
  return {
    schemaVersion: '2.1.0',
    modules: [
      {
        kind: 'javascript-module',
        path: ELEMENT_MODULE,
        declarations: [
          {
            kind: 'class',
            name: CLASS_NAME,
            description: description(doc),
            tagName: TAG_NAME,
            customElement: true,
            superclass: { name: 'HTMLElement' },
            attributes,
            members: allMembers,
            events,
            cssParts,
            cssProperties,
          },
          {
            kind: 'function',
            name: define.name,
            description:
              'Registers <sd-text-to-image> (once per tag) and sets where its files are (assetsUrl: a copy of dist/lib/; default: the folder of this module).',
            parameters: [{ name: 'options', optional: true, type: { text: '{ tag?: string; assetsUrl?: string | URL; registry?: CustomElementRegistry }' } }],
            return: { type: { text: `typeof ${CLASS_NAME}` } },
          },
        ],
        exports: [
          { kind: 'js', name: CLASS_NAME, declaration: { name: CLASS_NAME, module: ELEMENT_MODULE } },
          { kind: 'js', name: define.name, declaration: define },
        ],
      },
      {
        kind: 'javascript-module',
        path: DEFINE_MODULE,
        declarations: [],
        exports: [{ kind: 'custom-element-definition', name: TAG_NAME, declaration: { name: CLASS_NAME, module: ELEMENT_MODULE } }],
      },
    ],
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.argv[2];
  if (!out) throw new Error('Usage: node --import tsx scripts/custom-elements.ts OUT.json');
  writeFileSync(out, `${JSON.stringify(customElementsManifest(), null, 2)}\n`);
}
