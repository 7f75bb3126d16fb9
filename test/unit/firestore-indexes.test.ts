// The Firestore emulator serves any query; production refuses one on several fields without a composite
// index. This test reads every query in functions/src and checks each multi-field one against
// firestore.indexes.json, so a missing index fails here instead of after deploy.
import { readFileSync } from "node:fs";
import path from "node:path";
import { findFirestoreQueries, indexServes, type CompositeIndex } from "../support/firestoreQueries";

const root = path.resolve(__dirname, "../..");
type FieldOverride = { collectionGroup: string; fieldPath: string; ttl?: boolean; indexes: unknown[] };
const { indexes, fieldOverrides } = JSON.parse(
  readFileSync(path.join(root, "firestore.indexes.json"), "utf8"),
) as { indexes: CompositeIndex[]; fieldOverrides: FieldOverride[] };
const queries = findFirestoreQueries(path.join(root, "functions/tsconfig.build.json"));

describe("firestore.indexes.json", () => {
  it("finds the queries the functions make, with every field name resolved", () => {
    // The fan-out counts a post's unmuted subscribers; if this finds nothing, the scanner is broken.
    expect(
      queries.some((query) => query.at.startsWith("functions/src/posts/") && query.fields.includes("muted")),
    ).toBe(true);
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
    // Every index ends with the document id (`__name__`) in the order of its last field, so ordering by it
    // after one field (a cursor over `since`, then uid) needs no composite index.
    const missing = queries
      .filter((query) => query.fields.filter((field) => field !== "__name__").length > 1)
      .filter((query) => !indexes.some((index) => indexServes(index, query)))
      .map(
        (query) => `${query.at}: ${query.collection ?? "?"} on [${query.fields.join(", ")}] — ${query.text}`,
      );
    expect(missing).toEqual([]);
  });

  it("exempts from indexing only fields that no query of the functions filters or orders on", () => {
    // A query whose collection the scanner cannot name counts against its fields in every collection.
    const queried = (override: FieldOverride) =>
      queries.some(
        (query) =>
          (query.collection === null || query.collection === override.collectionGroup) &&
          query.fields.some(
            (field) => field === override.fieldPath || field.startsWith(`${override.fieldPath}.`),
          ),
      );
    // An override with indexes turns some on (e.g. a collection-group index the sweeper queries); the
    // exemptions are the overrides with none.
    const exemptions = fieldOverrides.filter((override) => override.indexes.length === 0);
    expect(exemptions.filter(queried)).toEqual([]);
    // The never-queried fields the issue names: the device token, the comment text, delivery counters.
    const exempt = new Set(exemptions.map((o) => `${o.collectionGroup}.${o.fieldPath}`));
    for (const field of ["devices.token", "comments.text", "pushDeliveries.sent", "pushDeliveries.tokens"]) {
      expect(exempt).toContain(field);
    }
  });

  it("turns on the TTL policy of pushDeliveries.expireAt and pushFollowNotices.expireAt", () => {
    for (const collectionGroup of ["pushDeliveries", "pushFollowNotices"]) {
      expect(fieldOverrides).toContainEqual({
        collectionGroup,
        fieldPath: "expireAt",
        ttl: true,
        indexes: [],
      });
    }
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
