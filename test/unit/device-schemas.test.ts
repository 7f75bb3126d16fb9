import { inputProblems } from "../../functions/src/shared/zodIssues";
import { registerDeviceRequest, unregisterDeviceRequest } from "../../functions/src/devices/deviceSchemas";

function problemsOf(schema: typeof registerDeviceRequest | typeof unregisterDeviceRequest, data: unknown) {
  const parsed = schema.safeParse(data);
  return parsed.success ? [] : inputProblems(parsed.error);
}

describe("registerDevice request", () => {
  const valid = { token: "fcm-token-1", platform: "android" };

  it("accepts the minimal and the full request", () => {
    expect(registerDeviceRequest.parse(valid)).toEqual(valid);
    const full = { ...valid, platform: "ios", locale: "ko-KR", appVersion: "3.2.1 (45)" };
    expect(registerDeviceRequest.parse(full)).toEqual(full);
  });

  it.each([
    ["missing", undefined, "Invalid input"],
    ["a number", 42, "expected string"],
    ["empty", "", "must not be empty"],
    ["4097 characters", "a".repeat(4097), "at most 4096"],
    ["containing a space", "abc def", "whitespace"],
    ["containing a newline", "abc\ndef", "whitespace"],
  ])("refuses a token %s", (_case, token, message) => {
    const problems = problemsOf(registerDeviceRequest, { ...valid, token });
    expect(problems).toEqual([{ path: "token", message: expect.stringContaining(message) as string }]);
  });

  it("accepts a token of exactly 4096 characters", () => {
    expect(problemsOf(registerDeviceRequest, { ...valid, token: "a".repeat(4096) })).toEqual([]);
  });

  it.each(["android", "ios", "web"])("accepts platform %s", (platform) => {
    expect(problemsOf(registerDeviceRequest, { ...valid, platform })).toEqual([]);
  });

  it.each([["windows"], [""], ["Android"], [1], [null]])("refuses platform %p", (platform) => {
    expect(problemsOf(registerDeviceRequest, { ...valid, platform }).map((p) => p.path)).toEqual([
      "platform",
    ]);
  });

  it.each(["en", "ko-KR", "zh-Hant-TW", "es-419", "de-CH-1996"])("accepts locale %s", (locale) => {
    expect(problemsOf(registerDeviceRequest, { ...valid, locale })).toEqual([]);
  });

  it.each([
    ["empty", ""],
    ["not a tag", "korean please"],
    ["underscored", "ko_KR"],
    ["36 characters", `en-${"a".repeat(8)}-${"b".repeat(8)}-${"c".repeat(8)}-${"d".repeat(6)}`],
    ["a number", 7],
  ])("refuses a locale %s", (_case, locale) => {
    expect(problemsOf(registerDeviceRequest, { ...valid, locale }).map((p) => p.path)).toEqual(["locale"]);
  });

  it("bounds appVersion to 1..64 characters", () => {
    expect(problemsOf(registerDeviceRequest, { ...valid, appVersion: "v".repeat(64) })).toEqual([]);
    expect(problemsOf(registerDeviceRequest, { ...valid, appVersion: "v".repeat(65) })).toEqual([
      { path: "appVersion", message: "must be at most 64 characters" },
    ]);
    expect(problemsOf(registerDeviceRequest, { ...valid, appVersion: "" })).toEqual([
      { path: "appVersion", message: "must not be empty" },
    ]);
  });

  it("names every unknown key", () => {
    expect(problemsOf(registerDeviceRequest, { ...valid, uid: "someone-else", extra: 1 })).toEqual([
      { path: "uid", message: "is not a known field" },
      { path: "extra", message: "is not a known field" },
    ]);
  });

  it("lists every problem at once", () => {
    const paths = problemsOf(registerDeviceRequest, { token: "", platform: "pc", locale: "?" }).map(
      (p) => p.path,
    );
    expect(paths.sort()).toEqual(["locale", "platform", "token"]);
  });

  it.each([[null], ["token"], [[]], [undefined]])("refuses a request that is not an object: %p", (data) => {
    const problems = problemsOf(registerDeviceRequest, data);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe("");
  });
});

describe("unregisterDevice request", () => {
  it("takes only a token", () => {
    expect(problemsOf(unregisterDeviceRequest, { token: "t" })).toEqual([]);
    expect(problemsOf(unregisterDeviceRequest, { token: "t", platform: "ios" })).toEqual([
      { path: "platform", message: "is not a known field" },
    ]);
    expect(problemsOf(unregisterDeviceRequest, { token: " " }).map((p) => p.path)).toEqual(["token"]);
    expect(problemsOf(unregisterDeviceRequest, {}).map((p) => p.path)).toEqual(["token"]);
  });
});
