// Where a tap on a push goes, from its `data.type` (docs/api.md "The push message", "Digests", "Push kinds";
// a new kind: docs/kinds.md "The clients"). FCM delivers the push's `data` as the notification's userInfo
// (strings); AppDelegate posts the route when the user opens a push, and the UI navigates to it.
import Foundation

enum PushRoute: Equatable {
    /// A post, scrolled to a comment when known (`comment`: the comment; `comment_digest`: the latest).
    case post(postId: String, commentId: String?)
    /// A user's profile (`follow`: the new follower).
    case profile(uid: String)
    /// A request of the push outbox: its own data names the screen (e.g. `screen`, `orderId`).
    case announcement(requestId: String, data: [String: String])
    /// Anything else, including a kind newer than this app version.
    case home

    init(userInfo: [AnyHashable: Any]) {
        var data: [String: String] = [:]
        for (key, value) in userInfo {
            if let key = key as? String, let value = value as? String { data[key] = value }
        }
        switch data["type"] {
        case "comment":
            self = data["postId"].map { .post(postId: $0, commentId: data["commentId"]) } ?? .home
        case "comment_digest":
            self = data["postId"].map { .post(postId: $0, commentId: data["lastCommentId"]) } ?? .home
        case "follow":
            self = data["followerId"].map { .profile(uid: $0) } ?? .home
        case "request":
            if let requestId = data["requestId"] {
                // FCM adds its own keys (gcm.*, google.*) to userInfo: keep the request's.
                let own = data.filter { key, _ in
                    key != "type" && key != "requestId" && !key.hasPrefix("gcm.") && !key.hasPrefix("google.")
                }
                self = .announcement(requestId: requestId, data: own)
            } else {
                self = .home
            }
        case "badge":
            // A silent badge update has no alert: it is never shown, so never tapped (AppDelegate).
            self = .home
        default:
            self = .home
        }
    }
}
