// App Check for the callables (the backend refuses them without a valid token while ENFORCE_APP_CHECK is
// true): App Attest on iOS 14+, DeviceCheck before; the debug provider in the simulator and debug builds
// (it prints a debug token to the console at first run; add it in the Firebase console under App Check >
// Apps > Manage debug tokens). Set before FirebaseApp.configure() (AppDelegate.swift).
// App Attest also needs the App Attest capability (entitlement com.apple.developer.devicecheck.appattest-environment).
import FirebaseAppCheck
import FirebaseCore

final class PushAppCheckProviderFactory: NSObject, AppCheckProviderFactory {
    func createProvider(with app: FirebaseApp) -> AppCheckProvider? {
        #if targetEnvironment(simulator) || DEBUG
            return AppCheckDebugProvider(app: app)
        #else
            if #available(iOS 14.0, *) {
                return AppAttestProvider(app: app)
            }
            return DeviceCheckProvider(app: app)
        #endif
    }
}
