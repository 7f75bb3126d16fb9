// Everything push needs at process start, in Application.onCreate (declared as android:name in the manifest):
// App Check before any other Firebase call, the `comments` notification channel the backend targets
// (android.notification.channelId "comments"), registration at every start once signed in, and the
// periodic token refresh.
package com.example.push

import android.app.Application
import android.app.NotificationChannel
import android.app.NotificationManager
import android.os.Build
import com.google.firebase.Firebase
import com.google.firebase.appcheck.appCheck
import com.google.firebase.appcheck.debug.DebugAppCheckProviderFactory
import com.google.firebase.appcheck.playintegrity.PlayIntegrityAppCheckProviderFactory
import com.google.firebase.auth.auth
import com.google.firebase.initialize

/** The channel id the backend sends comment pushes to (docs/api.md "The push message"). */
const val COMMENTS_CHANNEL_ID = "comments"

class PushApplication : Application() {
    override fun onCreate() {
        super.onCreate()
        Firebase.initialize(this)
        // App Check: Play Integrity in release builds; the debug provider (its token is printed in logcat,
        // register it in the Firebase console) in debug builds and emulators. The backend refuses callables
        // without a valid token while ENFORCE_APP_CHECK is true (docs/deploy.md "App Check").
        Firebase.appCheck.installAppCheckProviderFactory(
            if (BuildConfig.DEBUG) DebugAppCheckProviderFactory.getInstance()
            else PlayIntegrityAppCheckProviderFactory.getInstance(),
        )

        createCommentsChannel()

        // Fires at start with the current user and at every sign-in. WorkManager, not a coroutine scope of
        // this listener: the registration then survives the process going away and waits for a network.
        Firebase.auth.addAuthStateListener { auth ->
            if (auth.currentUser != null) RegisterDeviceWorker.registerSoon(this)
        }
        RegisterDeviceWorker.schedulePeriodicRefresh(this)
    }

    /** Channels exist from Android 8 (API 26); creating an existing one again only updates its name. */
    private fun createCommentsChannel() {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.O) return
        val channel = NotificationChannel(
            COMMENTS_CHANNEL_ID,
            getString(R.string.comments_channel_name), // e.g. "Comments" / "댓글"
            NotificationManager.IMPORTANCE_DEFAULT,
        ).apply { description = getString(R.string.comments_channel_description) }
        getSystemService(NotificationManager::class.java).createNotificationChannel(channel)
    }
}
