// The user's notification feed (docs/clients.md "The feed and badges"): every push they were sent also left
// one item in Firestore `notifications/{uid}/items/{itemId}` ({ kind, title, body, data, createdAt, read }),
// and `notifications/{uid}.unread` counts the unread ones. Both are written by the server only and read by
// their owner only; items are marked read through the `markNotificationsRead` callable, which answers the
// count after and sends each of the user's devices a silent badge update (AppDelegate sets the badge).
// Not compiled in this repository: see docs/clients.md for the packages.
import FirebaseAuth
import FirebaseFirestore
import FirebaseFunctions
import Foundation
import UIKit
import UserNotifications

/// One item of the feed, as the server wrote it; `data["type"]` routes a tap as on the push (PushRoute).
struct FeedItem: Identifiable, Equatable {
    let id: String
    let kind: String
    let title: String
    let body: String?
    let data: [String: String]
    let createdAt: Date?
    let read: Bool
}

/// A page of the feed, newest first; `next` is the cursor of the page after it (nil: none).
struct FeedPage {
    let items: [FeedItem]
    let next: DocumentSnapshot?
}

/// `markRead` was given no ids: `markAllRead()` marks them all.
struct NoItemsNamed: Error {}

@MainActor
final class NotificationFeed {
    static let shared = NotificationFeed()
    static let pageSize = 20
    private static let markReadMaxIds = 500

    /// The backend's region (docs/api.md: us-central1).
    private lazy var functions = Functions.functions(region: "us-central1")

    private func notifications(_ uid: String) -> DocumentReference {
        Firestore.firestore().collection("notifications").document(uid)
    }

    private func newestFirst(_ uid: String) -> Query {
        notifications(uid).collection("items").order(by: "createdAt", descending: true)
    }

    /// The signed-in user's unread count, now and at every change (on any device): for the bell, and the
    /// app icon's badge while the app runs.
    func watchUnread(_ listener: @escaping (Int) -> Void) -> ListenerRegistration? {
        guard let uid = Auth.auth().currentUser?.uid else { return nil }
        return notifications(uid).addSnapshotListener { snapshot, _ in
            guard let snapshot else { return }
            let unread = max(0, (snapshot.get("unread") as? NSNumber)?.intValue ?? 0)
            listener(unread)
            Task { await Self.setBadge(unread) }
        }
    }

    /// The newest `pageSize` items, live (a new push, an item read elsewhere); older ones: `page(after: next)`.
    func watchLatest(pageSize: Int = NotificationFeed.pageSize, _ listener: @escaping (FeedPage) -> Void) -> ListenerRegistration? {
        guard let uid = Auth.auth().currentUser?.uid else { return nil }
        return newestFirst(uid).limit(to: pageSize).addSnapshotListener { snapshot, _ in
            guard let snapshot else { return }
            listener(Self.page(of: snapshot.documents, pageSize: pageSize))
        }
    }

    /// One page, newest first: the first without `after`, the next with the `next` of the one before.
    func page(after: DocumentSnapshot? = nil, pageSize: Int = NotificationFeed.pageSize) async throws -> FeedPage {
        guard let uid = Auth.auth().currentUser?.uid else { return FeedPage(items: [], next: nil) }
        var query = newestFirst(uid)
        if let after { query = query.start(afterDocument: after) }
        let snapshot = try await query.limit(to: pageSize).getDocuments()
        return Self.page(of: snapshot.documents, pageSize: pageSize)
    }

    /// Marks these items read (unknown ids are ignored; again is harmless); answers the unread count after.
    @discardableResult
    func markRead(_ ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { throw NoItemsNamed() }
        let unique = Array(Set(ids))
        var unread = 0
        for start in stride(from: 0, to: unique.count, by: Self.markReadMaxIds) {
            let part = Array(unique[start..<min(start + Self.markReadMaxIds, unique.count)])
            unread = try await call(["ids": part])
        }
        return unread
    }

    /// Marks every item read; answers the unread count after (0 unless a push raced it).
    @discardableResult
    func markAllRead() async throws -> Int {
        try await call(["all": true])
    }

    private func call(_ request: [String: Any]) async throws -> Int {
        // FirebaseFunctions attaches the App Check token itself once App Check is configured (AppCheck.swift).
        let result = try await functions.httpsCallable("markNotificationsRead").call(request)
        let unread = ((result.data as? [String: Any])?["unread"] as? NSNumber)?.intValue ?? 0
        await Self.setBadge(unread)
        return unread
    }

    /// The app icon's badge (0 clears it). Needs the `.badge` authorization (AppDelegate asks for it).
    static func setBadge(_ unread: Int) async {
        if #available(iOS 16.0, *) {
            try? await UNUserNotificationCenter.current().setBadgeCount(unread)
        } else {
            UIApplication.shared.applicationIconBadgeNumber = unread
        }
    }

    private static func page(of docs: [QueryDocumentSnapshot], pageSize: Int) -> FeedPage {
        FeedPage(items: docs.map(item), next: docs.count == pageSize ? docs.last : nil)
    }

    private static func item(_ doc: QueryDocumentSnapshot) -> FeedItem {
        let createdAt = doc.get("createdAt", serverTimestampBehavior: .estimate) as? Timestamp
        return FeedItem(
            id: doc.documentID,
            kind: doc.get("kind") as? String ?? "",
            title: doc.get("title") as? String ?? "",
            body: doc.get("body") as? String,
            data: (doc.get("data") as? [String: Any] ?? [:]).compactMapValues { $0 as? String },
            createdAt: createdAt?.dateValue(),
            read: doc.get("read") as? Bool == true
        )
    }
}
