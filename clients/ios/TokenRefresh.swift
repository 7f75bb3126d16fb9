// Background token refresh: registers the current FCM token again about every two weeks, so the device's
// `lastSeenAt` moves forward even when the app is not opened, and the daily prune (TOKEN_STALE_DAYS, 30) does
// not drop a user who is away for a month (Firebase's token guide asks for a monthly refresh).
//
// What iOS gives and does not give: a BGAppRefreshTask runs at the system's discretion, more often for apps
// the user opens often, rarely or never for one not opened for weeks or force-quit by the user; it has about
// 30 seconds. So this refresh helps, but it is not a guarantee: the registration at every app start remains
// the main one. Needs Background Modes > "Background fetch", and the identifier below in Info.plist under
// BGTaskSchedulerPermittedIdentifiers.
import BackgroundTasks
import Foundation

enum TokenRefresh {
    static let identifier = "com.example.push.token-refresh"
    private static let interval: TimeInterval = 14 * 24 * 60 * 60

    /// Call in application(_:didFinishLaunchingWithOptions:), before it returns.
    static func register() {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
            guard let task = task as? BGAppRefreshTask else { return }
            handle(task)
        }
    }

    /// Asks for the next run no earlier than `interval` from now (a later request replaces an earlier one).
    static func schedule() {
        let request = BGAppRefreshTaskRequest(identifier: identifier)
        request.earliestBeginDate = Date(timeIntervalSinceNow: interval)
        do {
            try BGTaskScheduler.shared.submit(request)
        } catch {
            // E.g. the simulator, background refresh off in Settings, or the identifier missing in Info.plist.
            print("TokenRefresh: not scheduled: \(error)")
        }
    }

    private static func handle(_ task: BGAppRefreshTask) {
        schedule() // the next one first, whatever happens to this one
        let work = Task { @MainActor in
            let registered = await PushRegistration.shared.registerCurrentToken()
            task.setTaskCompleted(success: registered)
        }
        task.expirationHandler = { work.cancel() }
    }
}
