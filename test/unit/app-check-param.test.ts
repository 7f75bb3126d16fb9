// requireAppCheck (functions/src/shared/callable.ts): the callables' App Check gate, read from the ENFORCE_APP_CHECK
// param inside the handler. test/integration/app-check.test.ts covers it end to end (the header, the refusal,
// nothing written); this covers each setting against each kind of request.
import type { CallableRequest } from "firebase-functions/v2/https";
import { HttpsError } from "firebase-functions/v2/https";
import { requireAppCheck } from "../../functions/src/shared/callable";

const verified = { appId: "1:123:android:abc", token: {} } as unknown as CallableRequest<unknown>["app"];

function request(app: CallableRequest<unknown>["app"]): CallableRequest<unknown> {
  return { data: {}, auth: { uid: "u1" }, app, rawRequest: {} } as unknown as CallableRequest<unknown>;
}

function outcome(setting: string | undefined, app: CallableRequest<unknown>["app"]): string {
  const saved = process.env.ENFORCE_APP_CHECK;
  if (setting === undefined) delete process.env.ENFORCE_APP_CHECK;
  else process.env.ENFORCE_APP_CHECK = setting;
  try {
    requireAppCheck(request(app));
    return "allowed";
  } catch (error) {
    return error instanceof HttpsError ? error.code : `threw ${String(error)}`;
  } finally {
    if (saved === undefined) delete process.env.ENFORCE_APP_CHECK;
    else process.env.ENFORCE_APP_CHECK = saved;
  }
}

describe("requireAppCheck", () => {
  it("with ENFORCE_APP_CHECK=true refuses a request without a verified App Check token", () => {
    expect(outcome("true", undefined)).toBe("unauthenticated");
    expect(outcome("true", verified)).toBe("allowed");
  });

  it("with ENFORCE_APP_CHECK=false lets every request through", () => {
    expect(outcome("false", undefined)).toBe("allowed");
    expect(outcome("false", verified)).toBe("allowed");
  });
});
