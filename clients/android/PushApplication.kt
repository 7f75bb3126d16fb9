// Everything push needs at process start, in Application.onCreate (declared as android:name in the manifest):
// App Check before any other Firebase call, the notification channels the backend targets
// (android.notification.channelId "comments", "follows", "announcements", and "quiet" for pushes sent during
// the user's quiet hours), registration at every start once signed in, and the periodic token refresh.
package com.example.push

import android.app.Application
import android.app.NotificationChannel
import android.app.NotificationManager
import android.os.Build
import androidx.annotation.StringRes
import com.google.firebase.Firebase
import com.google.firebase.appcheck.appCheck
import com.google.firebase.appcheck.debug.DebugAppCheckProviderFactory
import com.google.firebase.appcheck.playintegrity.PlayIntegrityAppCheckProviderFactory
import com.google.firebase.auth.auth
import com.google.firebase.initialize

/** The channel the backend sends comment pushes and digests to (docs/api.md "The push message"). */
const val COMMENTS_CHANNEL_ID = "comments"

/** The channel of new-follower pushes (docs/api.md "New follower"). */
const val FOLLOWS_CHANNEL_ID = "follows"

/** The channel of the push outbox's requests (docs/api.md "The push outbox"). */
const val ANNOUNCEMENTS_CHANNEL_ID = "announcements"

/**
 * The channel of every push sent during the recipient's quiet hours, whatever its kind (docs/api.md
 * "Notification preferences"): low importance, so it shows in the shade without a sound or a heads-up.
 */
const val QUIET_CHANNEL_ID = "quiet"

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

        // A push for a channel the app never created lands on the manifest's default channel: create every
        // channel the backend sends to (a new push kind brings its own: docs/kinds.md "The clients").
        createChannel(COMMENTS_CHANNEL_ID, R.string.comments_channel_name, R.string.comments_channel_description)
        createChannel(FOLLOWS_CHANNEL_ID, R.string.follows_channel_name, R.string.follows_channel_description)
        createChannel(
            ANNOUNCEMENTS_CHANNEL_ID,
            R.string.announcements_channel_name,
            R.string.announcements_channel_description,
        )
        createChannel(
            QUIET_CHANNEL_ID,
            R.string.quiet_channel_name,
            R.string.quiet_channel_description,
            NotificationManager.IMPORTANCE_LOW,
        )

        // Fires at start with the current user and at every sign-in. WorkManager, not a coroutine scope of
        // this listener: the registration then survives the process going away and waits for a network.
        Firebase.auth.addAuthStateListener { auth ->
            if (auth.currentUser != null) RegisterDeviceWorker.registerSoon(this)
        }
        RegisterDeviceWorker.schedulePeriodicRefresh(this)
    }

    /**
     * Channels exist from Android 8 (API 26); creating an existing one again only updates its name and
     * description. The name is what users see in Settings, where they can turn the channel off: translate it
     * (e.g. "Comments" / "댓글", "New followers" / "새 팔로워", "Announcements" / "공지", "During quiet hours" /
     * "방해 금지 시간"). A channel's importance is fixed once created (only the user changes it afterwards): the
     * quiet channel is LOW from the start, sound and heads-up off.
     */
    private fun createChannel(
        id: String,
        @StringRes name: Int,
        @StringRes description: Int,
        importance: Int = NotificationManager.IMPORTANCE_DEFAULT,
    ) {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.O) return
        val channel = NotificationChannel(id, getString(name), importance)
            .apply { this.description = getString(description) }
        getSystemService(NotificationManager::class.java).createNotificationChannel(channel)
    }
}
