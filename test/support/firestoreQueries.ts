// Finds the Firestore queries that the functions' source makes, by reading it with the TypeScript
// compiler: every chain of `.where(...)` / `.orderBy(...)` calls, with the fields it filters and orders on.
// Field names may be string literals or constants; the type checker resolves both.
import path from "node:path";
import ts from "typescript";

export type FoundQuery = {
  /** `file:line` where the chain starts. */
  at: string;
  /** The collection id when the chain starts at `.collection(id)` or `.collectionGroup(id)`. */
  collection: string | null;
  /** Distinct fields, in the order the chain names them. */
  fields: string[];
  /** The text of the chain, for failure messages. */
  text: string;
};

const QUERY_METHODS = new Set(["where", "orderBy"]);
const CHAIN_METHODS = new Set([
  ...QUERY_METHODS,
  "limit",
  "limitToLast",
  "startAfter",
  "startAt",
  "endAt",
  "endBefore",
  "select",
  "offset",
  "withConverter",
]);

function methodCall(
  node: ts.Node,
): { name: string; receiver: ts.Expression; call: ts.CallExpression } | null {
  if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return null;
  return { name: node.expression.name.text, receiver: node.expression.expression, call: node };
}

function literalOf(checker: ts.TypeChecker, expression: ts.Expression | undefined): string | null {
  if (!expression) return null;
  const type = checker.getTypeAtLocation(expression);
  return type.isStringLiteral() ? type.value : null;
}

/** For a helper such as `this.collection()`: the collection id its body names, if it names exactly one. */
function collectionInside(checker: ts.TypeChecker, call: ts.CallExpression): string | null {
  const declaration = checker.getResolvedSignature(call)?.declaration;
  if (!declaration || !("body" in declaration) || !declaration.body) return null;
  const names = new Set<string>();
  const visit = (node: ts.Node): void => {
    const inner = methodCall(node);
    if (inner && (inner.name === "collection" || inner.name === "collectionGroup")) {
      const name = literalOf(checker, inner.call.arguments[0]);
      if (name) names.add(name);
    }
    ts.forEachChild(node, visit);
  };
  visit(declaration.body);
  return names.size === 1 ? [...names][0]! : null;
}

export function findFirestoreQueries(tsconfigPath: string): FoundQuery[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    tsconfigPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
      },
    },
  );
  if (!config) throw new Error(`cannot read ${tsconfigPath}`);
  const program = ts.createProgram(config.fileNames, config.options);
  const checker = program.getTypeChecker();
  const found: FoundQuery[] = [];

  for (const file of program.getSourceFiles()) {
    if (file.isDeclarationFile || !config.fileNames.includes(file.fileName)) continue;
    const visit = (node: ts.Node): void => {
      const top = methodCall(node);
      const parentCall =
        node.parent && ts.isPropertyAccessExpression(node.parent) ? methodCall(node.parent.parent) : null;
      const continuesChain = parentCall !== null && CHAIN_METHODS.has(parentCall.name);
      if (top && CHAIN_METHODS.has(top.name) && !continuesChain) {
        const fields: string[] = [];
        let collection: string | null = null;
        let link: ts.Expression = node as ts.Expression;
        for (let step = methodCall(link); step; step = methodCall(link)) {
          if (QUERY_METHODS.has(step.name)) {
            const argument = step.call.arguments[0];
            // Ordering by document id (`FieldPath.documentId()`) is the key order: no index names it.
            const byId = argument?.getText(file).replace(/\s/g, "") === "FieldPath.documentId()";
            const field = byId ? "__name__" : literalOf(checker, argument);
            fields.unshift(field ?? `<unresolved ${step.call.arguments[0]?.getText(file) ?? "?"}>`);
          } else if (step.name === "collection" || step.name === "collectionGroup") {
            collection = literalOf(checker, step.call.arguments[0]) ?? collectionInside(checker, step.call);
            break;
          } else if (!CHAIN_METHODS.has(step.name)) {
            break;
          }
          link = step.receiver;
        }
        const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
        if (fields.length > 0)
          found.push({
            at: `${path.relative(process.cwd(), file.fileName)}:${line + 1}`,
            collection,
            fields: [...new Set(fields)],
            text: node.getText(file).replace(/\s+/g, " "),
          });
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return found;
}

export type CompositeIndex = {
  collectionGroup: string;
  queryScope?: string;
  fields: { fieldPath: string; order?: string; arrayConfig?: string }[];
};

/** Whether `index` can serve a query on exactly these fields (Firestore needs every field in the index). */
export function indexServes(index: CompositeIndex, query: FoundQuery): boolean {
  if (query.collection !== null && index.collectionGroup !== query.collection) return false;
  // Every index ends with the document id, in the order of its last field.
  const indexed = new Set(["__name__", ...index.fields.map((field) => field.fieldPath)]);
  return query.fields.every((field) => indexed.has(field));
}
