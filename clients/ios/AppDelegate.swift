// The app delegate's part in push: App Check before FirebaseApp.configure(), notification permission, APNs
// registration and the APNs token hand-off to FCM, foreground presentation, the app badge (every push's
// `aps.badge`, and the silent badge updates), and the background refresh.
// With SwiftUI, attach it with `@UIApplicationDelegateAdaptor(AppDelegate.self) var appDelegate`.
import FirebaseAppCheck
import FirebaseCore
import FirebaseMessaging
import UIKit
import UserNotifications

@MainActor
final class AppDelegate: NSObject, UIApplicationDelegate, UNUserNotificationCenterDelegate {
    func application(
        _ application: UIApplication,
        didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]? = nil
    ) -> Bool {
        // App Check's provider factory must be set before configure() (AppCheck.swift).
        AppCheck.setAppCheckProviderFactory(PushAppCheckProviderFactory())
        FirebaseApp.configure()

        UNUserNotificationCenter.current().delegate = self
        // Register with APNs at every launch, whatever the permission: the device token it yields is what FCM
        // turns into a registration token. Without permission, pushes arrive but are not shown.
        application.registerForRemoteNotifications()
        PushRegistration.shared.start()
        TokenRefresh.register() // before launch ends, as BGTaskScheduler requires
        TokenRefresh.schedule()
        return true
    }

    /// Ask from a moment that explains itself (e.g. after the user follows a post), not at first launch.
    static func requestNotificationPermission() async -> Bool {
        do {
            return try await UNUserNotificationCenter.current().requestAuthorization(options: [.alert, .badge, .sound])
        } catch {
            print("Push: requestAuthorization failed: \(error)")
            return false
        }
    }

    // MARK: APNs

    func application(_ application: UIApplication, didRegisterForRemoteNotificationsWithDeviceToken deviceToken: Data) {
        // Needed when method swizzling is off (FirebaseAppDelegateProxyEnabled = NO); harmless when it is on.
        Messaging.messaging().apnsToken = deviceToken
    }

    func application(_ application: UIApplication, didFailToRegisterForRemoteNotificationsWithError error: Error) {
        // E.g. the Push Notifications capability is missing, or the simulator has no APNs environment.
        print("Push: APNs registration failed: \(error)")
    }

    /// A background push: the silent badge update (`data.type` "badge", `aps.content-available`, no alert)
    /// that the backend sends every device of a user who read items on one of them. It changes the app
    /// icon's badge to `data.unread` and shows nothing. (Every other push sets the badge by its own
    /// `aps.badge`.) Needs Background Modes > Remote notifications; iOS delivers background pushes at its
    /// discretion, not at all to an app the user force-quit, and the next push carries the right count anyway.
    func application(
        _ application: UIApplication,
        didReceiveRemoteNotification userInfo: [AnyHashable: Any]
    ) async -> UIBackgroundFetchResult {
        guard userInfo["type"] as? String == "badge",
              let unread = (userInfo["unread"] as? String).flatMap(Int.init)
        else { return .noData }
        await NotificationFeed.setBadge(unread)
        // Everything was read elsewhere: the pushes still in Notification Center are stale.
        if unread == 0 { UNUserNotificationCenter.current().removeAllDeliveredNotifications() }
        return .newData
    }

    // MARK: UNUserNotificationCenterDelegate

    /// A push arriving while the app is in the foreground is shown too (iOS hides it otherwise), and its
    /// `aps.badge` (the user's unread count) applied: without `.badge` here, iOS ignores it in the foreground.
    /// One sent during the user's quiet hours (`data.quiet` "true", NotificationPreferences.swift) goes to
    /// the list only, without a banner or a sound, as the system treats it in the background (passive).
    func userNotificationCenter(
        _ center: UNUserNotificationCenter,
        willPresent notification: UNNotification
    ) async -> UNNotificationPresentationOptions {
        if notification.request.content.userInfo["quiet"] as? String == "true" { return [.list, .badge] }
        return [.banner, .list, .sound, .badge]
    }

    /// The user opened a push: `data` arrives as userInfo (type, postId, followerId, requestId, ...), and
    /// its `type` decides where the tap goes (PushRoute).
    func userNotificationCenter(
        _ center: UNUserNotificationCenter,
        didReceive response: UNNotificationResponse
    ) async {
        let route = PushRoute(userInfo: response.notification.request.content.userInfo)
        NotificationCenter.default.post(name: .openPushRoute, object: route)
    }
}

extension Notification.Name {
    /// Posted when the user opens a push, with its `PushRoute` as the object; the UI navigates to it.
    static let openPushRoute = Notification.Name("openPushRoute")
}
