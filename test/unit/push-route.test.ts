// clients/web/pushRoute.ts: where a tap on each kind of push goes (docs/kinds.md "The clients").
import { pathOf, routeOf } from "../../clients/web/pushRoute";

describe("routeOf: a tap routed by data.type", () => {
  it("opens the post of a comment and of a digest, at the comment it names", () => {
    expect(routeOf({ type: "comment", postId: "p1", commentId: "c1", authorId: "u1" })).toEqual({
      screen: "post",
      postId: "p1",
      commentId: "c1",
    });
    expect(routeOf({ type: "comment_digest", postId: "p1", count: "3", lastCommentId: "c9" })).toEqual({
      screen: "post",
      postId: "p1",
      commentId: "c9",
    });
  });

  it("opens the new follower's profile", () => {
    expect(routeOf({ type: "follow", uid: "me", followerId: "ada" })).toEqual({
      screen: "profile",
      uid: "ada",
    });
  });

  it("hands an outbox request its own data, without the server's keys", () => {
    expect(routeOf({ type: "request", requestId: "r1", screen: "suggestions" })).toEqual({
      screen: "announcement",
      requestId: "r1",
      data: { screen: "suggestions" },
    });
  });

  it("opens the home for a kind it does not know, or a push missing its ids", () => {
    expect(routeOf({ type: "kudos", kudosId: "k1" })).toEqual({ screen: "home" });
    expect(routeOf({ type: "follow" })).toEqual({ screen: "home" });
    expect(routeOf({})).toEqual({ screen: "home" });
  });

  it("gives each route a path of the app", () => {
    expect(pathOf(routeOf({ type: "comment_digest", postId: "p 1", lastCommentId: "c9" }))).toBe(
      "/posts/p%201#comment-c9",
    );
    expect(pathOf({ screen: "profile", uid: "ada" })).toBe("/users/ada");
    expect(pathOf({ screen: "announcement", requestId: "r1", data: {} })).toBe("/announcements/r1");
    expect(pathOf({ screen: "home" })).toBe("/");
  });
});
