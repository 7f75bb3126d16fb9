import {
  defaultPreferences,
  mergePreferences,
  setPreferencesRequest,
  storedPreferences,
} from "../../functions/src/notifications/preferences";
import { inputProblems } from "../../functions/src/shared/zodIssues";

function problemsOf(data: unknown) {
  const parsed = setPreferencesRequest.safeParse(data);
  return parsed.success ? [] : inputProblems(parsed.error);
}

describe("setNotificationPreferences' request", () => {
  it("takes any of the switches, quiet hours, null, or nothing", () => {
    for (const ok of [
      {},
      { kinds: {} },
      { kinds: { comments: false } },
      { kinds: { comments: true, follows: false, announcements: true } },
      { quietHours: null },
      { quietHours: { start: "22:00", end: "07:00", timeZone: "Asia/Seoul" } },
      { quietHours: { start: "00:00", end: "23:59", timeZone: "UTC" } },
    ]) {
      expect(problemsOf(ok)).toEqual([]);
    }
  });

  it("stores a zone in its canonical spelling", () => {
    const parsed = setPreferencesRequest.parse({
      quietHours: { start: "22:00", end: "07:00", timeZone: "asia/seoul" },
    });
    expect(parsed.quietHours?.timeZone).toBe("Asia/Seoul");
  });

  it.each<[string, unknown, string[]]>([
    ["an unknown key", { kinds: {}, email: true }, ["email"]],
    ["an unknown kind", { kinds: { likes: false } }, ["kinds.likes"]],
    ["a switch that is not a boolean", { kinds: { comments: "no" } }, ["kinds.comments"]],
    ["kinds that are not an object", { kinds: true }, ["kinds"]],
    [
      "a time of 25:00",
      { quietHours: { start: "25:00", end: "07:00", timeZone: "Asia/Seoul" } },
      ["quietHours.start"],
    ],
    [
      "a time without minutes",
      { quietHours: { start: "22:00", end: "7", timeZone: "Asia/Seoul" } },
      ["quietHours.end"],
    ],
    [
      "an unknown zone",
      { quietHours: { start: "22:00", end: "07:00", timeZone: "Mars/Olympus" } },
      ["quietHours.timeZone"],
    ],
    [
      "an offset for a zone",
      { quietHours: { start: "22:00", end: "07:00", timeZone: "+09:00" } },
      ["quietHours.timeZone"],
    ],
    [
      "start equal to end",
      { quietHours: { start: "22:00", end: "22:00", timeZone: "Asia/Seoul" } },
      ["quietHours.end"],
    ],
    ["quiet hours without a zone", { quietHours: { start: "22:00", end: "07:00" } }, ["quietHours.timeZone"]],
    [
      "quiet hours with an unknown key",
      { quietHours: { start: "22:00", end: "07:00", timeZone: "UTC", days: [1] } },
      ["quietHours.days"],
    ],
    ["quiet hours that are a string", { quietHours: "22:00-07:00" }, ["quietHours"]],
    ["data that is not an object", "comments off", [""]],
  ])("refuses %s, naming the field", (_, data, paths) => {
    const problems = problemsOf(data);
    expect(problems.map((problem) => problem.path)).toEqual(paths);
    for (const problem of problems) expect(problem.message).not.toBe("");
  });
});

describe("merging preferences", () => {
  it("changes only what is given; null clears quiet hours", () => {
    const quiet = { start: "22:00", end: "07:00", timeZone: "Asia/Seoul" };
    const once = mergePreferences(defaultPreferences(), { kinds: { comments: false }, quietHours: quiet });
    expect(once).toEqual({
      kinds: { comments: false, follows: true, announcements: true },
      quietHours: quiet,
    });
    const twice = mergePreferences(once, { kinds: { follows: false } });
    expect(twice).toEqual({
      kinds: { comments: false, follows: false, announcements: true },
      quietHours: quiet,
    });
    expect(mergePreferences(twice, { quietHours: null }).quietHours).toBeNull();
  });

  it("reads a doc edited by hand field by field, the defaults where it does not parse", () => {
    expect(storedPreferences(undefined)).toEqual(defaultPreferences());
    expect(
      storedPreferences({ kinds: { comments: "no", follows: false }, quietHours: { start: "9" } }),
    ).toEqual({
      kinds: { comments: true, follows: false, announcements: true },
      quietHours: null,
    });
  });
});
