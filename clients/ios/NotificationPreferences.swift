// The user's notification preferences (docs/api.md "Notification preferences"): which kinds of push they get
// (comments, new followers, announcements) and their quiet hours, during which pushes still arrive but
// silently (APNs `interruption-level: passive`, no sound). Changed only through the
// `setNotificationPreferences` callable, which merges the change into what is stored and answers with the
// whole result; read from Firestore `notifications/{uid}`, which only its owner may read and only the
// server writes.
// Not compiled in this repository: see docs/clients.md for the packages.
import FirebaseAuth
import FirebaseFirestore
import FirebaseFunctions
import Foundation

/// `start` to `end` as "HH:MM" (24-hour; "22:00" to "07:00" spans midnight), in the IANA zone `timeZone`.
struct QuietHours: Equatable {
    var start: String
    var end: String
    var timeZone: String
}

/// A new user's: every kind on, no quiet hours.
struct Preferences: Equatable {
    var comments = true
    var follows = true
    var announcements = true
    var quietHours: QuietHours?
}

/// The callable refused the change (`invalid-argument`): each problem by field, e.g. "quietHours.end".
struct PreferencesRefused: Error {
    let message: String
    let problems: [String: String]
}

@MainActor
final class NotificationPreferences {
    static let shared = NotificationPreferences()

    /// The backend's region (docs/api.md: us-central1).
    private lazy var functions = Functions.functions(region: "us-central1")

    /// This device's IANA time zone ("Asia/Seoul"): what quiet hours are meant in, by default.
    static var deviceTimeZone: String { TimeZone.current.identifier }

    /// The signed-in user's preferences as stored (the defaults when they never set any).
    func current() async throws -> Preferences {
        guard let uid = Auth.auth().currentUser?.uid else { return Preferences() }
        let snapshot = try await Firestore.firestore().collection("notifications").document(uid).getDocument()
        return Self.preferences(from: snapshot.get("preferences"))
    }

    /// One switch: `setKind("comments", on: false)` stops comment pushes (and digests).
    func setKind(_ kind: String, on: Bool) async throws -> Preferences {
        try await set(["kinds": [kind: on]])
    }

    /// Quiet hours in this device's time zone unless told otherwise, e.g. `setQuietHours(start: "22:00", end: "07:00")`.
    func setQuietHours(start: String, end: String, timeZone: String = deviceTimeZone) async throws -> Preferences {
        try await set(["quietHours": ["start": start, "end": end, "timeZone": timeZone]])
    }

    /// No quiet hours: pushes make a sound again.
    func clearQuietHours() async throws -> Preferences {
        try await set(["quietHours": NSNull()])
    }

    /// Sends `change` (`kinds` and/or `quietHours`, as the callable takes them); answers with the whole stored
    /// preferences. Throws `PreferencesRefused` on bad input (a time that is not "HH:MM", an unknown zone,
    /// start equal to end: nothing is changed), and the Functions SDK's error on anything else.
    func set(_ change: [String: Any]) async throws -> Preferences {
        do {
            // FirebaseFunctions attaches the App Check token itself once App Check is configured (AppCheck.swift).
            let result = try await functions.httpsCallable("setNotificationPreferences").call(change)
            return Self.preferences(from: (result.data as? [String: Any])?["preferences"])
        } catch let error as NSError
            where error.domain == FunctionsErrorDomain && error.code == FunctionsErrorCode.invalidArgument.rawValue
        {
            var problems: [String: String] = [:]
            for case let problem as [String: Any] in error.userInfo[FunctionsErrorDetailsKey] as? [Any] ?? [] {
                problems[problem["path"] as? String ?? ""] = problem["message"] as? String ?? ""
            }
            throw PreferencesRefused(message: error.localizedDescription, problems: problems)
        }
    }

    /// Preferences as stored or answered, read leniently: what is missing counts as the default.
    private static func preferences(from value: Any?) -> Preferences {
        var preferences = Preferences()
        guard let stored = value as? [String: Any] else { return preferences }
        let kinds = stored["kinds"] as? [String: Any] ?? [:]
        preferences.comments = kinds["comments"] as? Bool ?? true
        preferences.follows = kinds["follows"] as? Bool ?? true
        preferences.announcements = kinds["announcements"] as? Bool ?? true
        if let quiet = stored["quietHours"] as? [String: Any],
            let start = quiet["start"] as? String, let end = quiet["end"] as? String,
            let timeZone = quiet["timeZone"] as? String
        {
            preferences.quietHours = QuietHours(start: start, end: end, timeZone: timeZone)
        }
        return preferences
    }
}
