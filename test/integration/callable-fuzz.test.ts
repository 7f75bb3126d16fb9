// Property-based fuzzing of the device callables: malformed payloads, built invalid by construction, are
// every one answered `invalid-argument` with details, never `internal`, and write nothing. The handlers
// run in this process against the Firestore emulator; a sample also goes through the client SDK.
import fc from "fast-check";
import { HttpsError, type CallableRequest } from "firebase-functions/v2/https";
import { FunctionsError } from "firebase/functions";
import { handleRegisterDevice } from "../../functions/src/functions/registerDevice";
import { handleUnregisterDevice } from "../../functions/src/functions/unregisterDevice";
import { adminDb, closeEmulatorConnections, signedInClient } from "../support/emulators";

const RUNS = 1_000;
const CLIENT_SAMPLE = 40;

const validToken = fc.stringMatching(/^[A-Za-z0-9:_-]{1,200}$/);
const badToken = fc.oneof(
  fc.constant(""),
  fc.string({ minLength: 4097, maxLength: 4200 }).map((s) => s.padEnd(4097, "x").replace(/\s/g, "x")),
  fc
    .tuple(validToken, fc.constantFrom(" ", "\t", "\n", "\u00a0", "\u2028"), validToken)
    .map(([a, ws, b]) => a + ws + b),
  fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.object()),
);
const badPlatform = fc.oneof(
  fc.string().filter((s) => !["android", "ios", "web"].includes(s)),
  fc.constantFrom("Android", "IOS", "WEB", " web"),
  fc.oneof(fc.integer(), fc.constant(null), fc.boolean()),
);
const badLocale = fc.oneof(
  fc.constant(""),
  fc.constantFrom("ko_KR", "en-", "123", "-", "en--US", "x".repeat(36)),
  fc.oneof(fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string())),
);
const badAppVersion = fc.oneof(
  fc.constant(""),
  fc.string({ minLength: 65, maxLength: 100 }),
  fc.oneof(fc.integer(), fc.constant(null), fc.object()),
);
const unknownKey = fc
  .string({ minLength: 1, maxLength: 20 })
  .filter((key) => !["token", "platform", "locale", "appVersion", "__proto__"].includes(key));

type Payload = Record<string, unknown>;
type Mutation = (payload: Payload) => Payload;
const without = (payload: Payload, key: string): Payload =>
  Object.fromEntries(Object.entries(payload).filter(([name]) => name !== key));

const registerMutation: fc.Arbitrary<Mutation> = fc.oneof(
  badToken.map((token) => (p: Payload) => ({ ...p, token })),
  fc.constant((p: Payload) => without(p, "token")),
  badPlatform.map((platform) => (p: Payload) => ({ ...p, platform })),
  fc.constant((p: Payload) => without(p, "platform")),
  badLocale.map((locale) => (p: Payload) => ({ ...p, locale })),
  badAppVersion.map((appVersion) => (p: Payload) => ({ ...p, appVersion })),
  fc.tuple(unknownKey, fc.anything()).map(([key, value]) => (p: Payload) => ({ ...p, [key]: value })),
);

const notAnObject = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.string(),
  fc.boolean(),
  fc.array(fc.anything()),
);

const malformedRegister: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: notAnObject },
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.record({ token: validToken, platform: fc.constantFrom("android", "ios", "web") }),
        fc.array(registerMutation, { minLength: 1, maxLength: 3 }),
      )
      .map(([valid, mutations]) => mutations.reduce<Payload>((payload, mutate) => mutate(payload), valid)),
  },
);

const malformedUnregister: fc.Arbitrary<unknown> = fc.oneof(
  notAnObject,
  fc.constant({}),
  badToken.map((token) => ({ token })),
  fc.tuple(validToken, unknownKey, fc.anything()).map(([token, key, value]) => ({ token, [key]: value })),
);

function request(data: unknown): CallableRequest<unknown> {
  return {
    data,
    auth: { uid: "fuzz-user", token: {} },
    // A verified App Check token, as ENFORCE_APP_CHECK (true in production) requires: the input is what's fuzzed.
    app: { appId: "1:123:android:fuzz", token: {} },
    rawRequest: {},
  } as unknown as CallableRequest<unknown>;
}

async function outcomeOf(call: Promise<unknown>): Promise<{ code: string; details: unknown }> {
  try {
    await call;
    return { code: "ok", details: undefined };
  } catch (error) {
    if (error instanceof HttpsError) return { code: error.code, details: error.details };
    return { code: `not an HttpsError: ${String(error)}`, details: undefined };
  }
}

const isProblemList = (details: unknown) =>
  Array.isArray(details) &&
  details.length > 0 &&
  details.every(
    (d) =>
      typeof (d as { path?: unknown }).path === "string" &&
      typeof (d as { message?: unknown }).message === "string",
  );

/** Whether the `firebase` client SDK can encode `data` (its `encode` throws on a non-finite number). */
function clientEncodable(data: unknown): boolean {
  if (typeof data === "number") return Number.isFinite(data);
  if (data === null || typeof data !== "object") return true;
  return Object.values(data).every(clientEncodable);
}

const deviceCount = async () => (await adminDb().collection("devices").count().get()).data().count;

afterAll(closeEmulatorConnections);

describe("malformed callable payloads", () => {
  it(`registerDevice answers ${RUNS} of them invalid-argument and writes nothing`, async () => {
    const before = await deviceCount();
    await fc.assert(
      fc.asyncProperty(malformedRegister, async (data) => {
        const { code, details } = await outcomeOf(handleRegisterDevice(request(data)));
        expect(code).toBe("invalid-argument");
        expect(isProblemList(details)).toBe(true);
      }),
      { numRuns: RUNS },
    );
    expect(await deviceCount()).toBe(before);
  });

  it(`unregisterDevice answers ${RUNS} of them invalid-argument and deletes nothing`, async () => {
    const before = await deviceCount();
    await fc.assert(
      fc.asyncProperty(malformedUnregister, async (data) => {
        const { code, details } = await outcomeOf(handleUnregisterDevice(request(data)));
        expect(code).toBe("invalid-argument");
        expect(isProblemList(details)).toBe(true);
      }),
      { numRuns: RUNS },
    );
    expect(await deviceCount()).toBe(before);
  });

  it(`a sample of ${CLIENT_SAMPLE} through the client SDK gets the same answer`, async () => {
    const client = await signedInClient();
    const before = await deviceCount();
    // Only payloads a client can send: the client SDK itself refuses to encode NaN and ±Infinity (a plain
    // `Error` "Data cannot be encoded in JSON", thrown before any request), so those never reach a server.
    const samples = [
      ...fc
        .sample(malformedRegister.filter(clientEncodable), CLIENT_SAMPLE / 2)
        .map((data) => ["registerDevice", data] as const),
      ...fc
        .sample(malformedUnregister.filter(clientEncodable), CLIENT_SAMPLE / 2)
        .map((data) => ["unregisterDevice", data] as const),
    ];
    for (const [name, data] of samples) {
      const error = await client.call(name, data).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(FunctionsError);
      expect({ name, data, code: (error as FunctionsError).code }).toEqual({
        name,
        data,
        code: "functions/invalid-argument",
      });
      expect(isProblemList((error as FunctionsError).details)).toBe(true);
    }
    expect(await deviceCount()).toBe(before);
  });
});
