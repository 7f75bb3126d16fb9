// The Firestore emulator serves any query; production refuses one on several fields without a composite
// index. This test reads every query in functions/src and checks each multi-field one against
// firestore.indexes.json, so a missing index fails here instead of after deploy.
import { readFileSync } from "node:fs";
import path from "node:path";
import { findFirestoreQueries, indexServes, type CompositeIndex } from "../support/firestoreQueries";

const root = path.resolve(__dirname, "../..");
const indexes = (
  JSON.parse(readFileSync(path.join(root, "firestore.indexes.json"), "utf8")) as { indexes: CompositeIndex[] }
).indexes;
const queries = findFirestoreQueries(path.join(root, "functions/tsconfig.build.json"));

describe("firestore.indexes.json", () => {
  it("finds the queries the functions make, with every field name resolved", () => {
    // The device callables query devices by owner; if this finds nothing, the scanner is broken.
    expect(queries.some((query) => query.collection === "devices" && query.fields.includes("uid"))).toBe(
      true,
    );
    for (const query of queries) {
      expect({
        at: query.at,
        fields: query.fields.filter((field) => field.startsWith("<unresolved")),
      }).toEqual({
        at: query.at,
        fields: [],
      });
    }
  });

  it("has a composite index for every query on more than one field", () => {
    const missing = queries
      .filter((query) => query.fields.length > 1)
      .filter((query) => !indexes.some((index) => indexServes(index, query)))
      .map(
        (query) => `${query.at}: ${query.collection ?? "?"} on [${query.fields.join(", ")}] — ${query.text}`,
      );
    expect(missing).toEqual([]);
  });

  it("holds only indexes that are well formed", () => {
    for (const index of indexes) {
      expect(index.collectionGroup).toMatch(/^[A-Za-z0-9_]+$/);
      expect(index.fields.length).toBeGreaterThan(1);
      for (const field of index.fields) expect(field.order ?? field.arrayConfig).toBeDefined();
    }
  });
});

describe("the query scanner", () => {
  const fixture = findFirestoreQueries(path.join(root, "test/fixtures/query-scan/tsconfig.json"));

  it("finds chains with their collection and fields, through constants", () => {
    expect(fixture.map(({ collection, fields }) => ({ collection, fields }))).toEqual([
      { collection: "posts", fields: ["authorId", "createdAt"] },
      { collection: "posts", fields: ["title"] },
    ]);
  });

  it("tells a served query from an unserved one", () => {
    const [twoFields] = fixture;
    if (!twoFields) throw new Error("fixture query not found");
    const index = (collectionGroup: string, ...paths: string[]) => ({
      collectionGroup,
      fields: paths.map((fieldPath) => ({ fieldPath, order: "ASCENDING" })),
    });
    expect(indexServes(index("posts", "authorId", "createdAt"), twoFields)).toBe(true);
    expect(indexServes(index("posts", "authorId"), twoFields)).toBe(false);
    expect(indexServes(index("comments", "authorId", "createdAt"), twoFields)).toBe(false);
  });
});
