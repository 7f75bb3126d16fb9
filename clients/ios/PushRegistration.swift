// The iOS (Swift) client side of this backend, as the README shows it. Not compiled here: it uses the
// Firebase Apple SDK (FirebaseAuth, FirebaseFunctions, FirebaseMessaging) through Swift Package Manager or
// CocoaPods, with push notifications enabled for the app and its APNs key uploaded to Firebase.
//
// When to call what:
// - registerDevice at every app start once signed in, and on every new FCM token
//   (messaging(_:didReceiveRegistrationToken:));
// - unregisterDevice at sign-out, before signing out (afterwards the call is no longer authenticated).
import FirebaseAuth
import FirebaseFunctions
import FirebaseMessaging
import Foundation

@MainActor
final class PushRegistration: NSObject, MessagingDelegate {
    static let shared = PushRegistration()

    private lazy var functions = Functions.functions(region: "us-central1")
    private var authListener: AuthStateDidChangeListenerHandle?

    /// Call once at launch, after `FirebaseApp.configure()`. The auth listener fires at start with the
    /// current user and at every sign-in, so the device is registered at every app start once signed in.
    func start() {
        Messaging.messaging().delegate = self
        authListener = Auth.auth().addStateDidChangeListener { _, user in
            guard user != nil else { return }
            Task { @MainActor in await PushRegistration.shared.registerCurrentToken() }
        }
    }

    /// FCM gives a new token (first launch, reinstall, restore, or a refresh).
    nonisolated func messaging(_ messaging: Messaging, didReceiveRegistrationToken fcmToken: String?) {
        guard let fcmToken else { return }
        Task { @MainActor in await PushRegistration.shared.register(token: fcmToken) }
    }

    func registerCurrentToken() async {
        do {
            let token = try await Messaging.messaging().token()
            await register(token: token)
        } catch {
            // No token yet (APNs not registered): didReceiveRegistrationToken registers it when it comes.
            print("PushRegistration: no FCM token yet: \(error)")
        }
    }

    /// Registers `token` for the signed-in user; a no-op when signed out (the auth listener calls again).
    func register(token: String) async {
        guard Auth.auth().currentUser != nil else { return }
        var data: [String: Any] = ["token": token, "platform": "ios", "locale": Self.bcp47Locale()]
        if let version = Bundle.main.infoDictionary?["CFBundleShortVersionString"] as? String {
            data["appVersion"] = version
        }
        do {
            _ = try await functions.httpsCallable("registerDevice").call(data)
        } catch {
            // Not fatal: the next app start or token refresh registers again.
            print("PushRegistration: registerDevice failed: \(error)")
        }
    }

    /// Sign-out: stops this user's pushes to this device, then signs out.
    func signOut() async throws {
        do {
            let token = try await Messaging.messaging().token()
            _ = try await functions.httpsCallable("unregisterDevice").call(["token": token])
        } catch {
            // Sign out anyway: the token then goes stale and the daily prune removes it.
            print("PushRegistration: unregisterDevice failed: \(error)")
        }
        try Auth.auth().signOut()
    }

    /// `Locale.current.identifier` ("ko_KR", "zh-Hans_TW", "en_US@rg=gbzzzz") as a BCP 47 tag ("ko-KR"):
    /// keywords after "@" dropped, "_" turned into "-".
    static func bcp47Locale(_ locale: Locale = .current) -> String {
        let identifier = locale.identifier.split(separator: "@").first.map(String.init) ?? locale.identifier
        return identifier.replacingOccurrences(of: "_", with: "-")
    }
}
