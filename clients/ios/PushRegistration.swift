// Registers this device's FCM token with the backend (docs/api.md "Callable functions"): at every app start once
// signed in, on every new FCM token (messaging(_:didReceiveRegistrationToken:)), and from the background
// refresh (TokenRefresh.swift). Unregisters at sign-out, before signing out.
// FCM has a token only once APNs gave the app a device token: AppDelegate.swift asks for permission,
// registers for remote notifications and hands the APNs token to FCM.
// Not compiled in this repository: see docs/clients.md for the packages and capabilities.
import FirebaseAuth
import FirebaseFunctions
import FirebaseMessaging
import Foundation

@MainActor
final class PushRegistration: NSObject, MessagingDelegate {
    static let shared = PushRegistration()

    /// The backend's region (docs/api.md: us-central1).
    private lazy var functions = Functions.functions(region: "us-central1")
    private var authListener: AuthStateDidChangeListenerHandle?

    /// Call once at launch, after `FirebaseApp.configure()`. The auth listener fires at start with the
    /// current user and at every sign-in, so the device is registered at every app start once signed in.
    func start() {
        Messaging.messaging().delegate = self
        authListener = Auth.auth().addStateDidChangeListener { _, user in
            guard user != nil else { return }
            Task { @MainActor in _ = await PushRegistration.shared.registerCurrentToken() }
        }
    }

    /// FCM has a new token (first launch once APNs answered, reinstall, restore, or a refresh).
    nonisolated func messaging(_ messaging: Messaging, didReceiveRegistrationToken fcmToken: String?) {
        guard let fcmToken else { return }
        Task { @MainActor in _ = await PushRegistration.shared.register(token: fcmToken) }
    }

    /// The current token, registered. False when there is none yet or the call failed (logged).
    func registerCurrentToken() async -> Bool {
        do {
            let token = try await Messaging.messaging().token()
            return await register(token: token)
        } catch {
            // No APNs token yet: didReceiveRegistrationToken registers the FCM token when it comes.
            print("PushRegistration: no FCM token yet: \(error)")
            return false
        }
    }

    /// Registers `token` for the signed-in user; a no-op when signed out (the auth listener calls again).
    func register(token: String) async -> Bool {
        guard Auth.auth().currentUser != nil else { return false }
        var data: [String: Any] = ["token": token, "platform": "ios", "locale": Self.bcp47Locale()]
        if let version = Bundle.main.infoDictionary?["CFBundleShortVersionString"] as? String {
            data["appVersion"] = version
        }
        do {
            // FirebaseFunctions attaches the App Check token itself once App Check is configured (AppCheck.swift).
            _ = try await functions.httpsCallable("registerDevice").call(data)
            return true
        } catch {
            // Not fatal: the next app start, token refresh or background refresh registers again.
            print("PushRegistration: registerDevice failed: \(error)")
            return false
        }
    }

    /// Sign-out: stops this user's pushes to this device, then signs out. A failure here never blocks the
    /// sign-out: the token then goes stale and the daily prune removes it.
    func signOut() async throws {
        do {
            let token = try await Messaging.messaging().token()
            _ = try await functions.httpsCallable("unregisterDevice").call(["token": token])
        } catch {
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
