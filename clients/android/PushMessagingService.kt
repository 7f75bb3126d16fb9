// FCM's service (declared in the manifest with the com.google.firebase.MESSAGING_EVENT intent filter).
// onNewToken hands the token to WorkManager and returns: the service may be destroyed as soon as this returns,
// so nothing here may run in a scope the service owns.
package com.example.push

import android.app.PendingIntent
import androidx.core.app.NotificationCompat
import androidx.core.app.NotificationManagerCompat
import com.google.firebase.messaging.FirebaseMessagingService
import com.google.firebase.messaging.RemoteMessage

class PushMessagingService : FirebaseMessagingService() {
    override fun onNewToken(token: String) {
        RegisterDeviceWorker.registerToken(applicationContext, token)
    }

    /**
     * In the background the system shows the notification itself, on the message's channel and grouped by
     * its tag (a comment's post id). In the foreground FCM hands it here instead; show it the same way, with
     * a tap routed by its `data.type` (PushRoute).
     */
    override fun onMessageReceived(message: RemoteMessage) {
        val notification = message.notification ?: return
        val notifications = NotificationManagerCompat.from(this)
        // Off when the user turned notifications off, or on Android 13+ has not granted POST_NOTIFICATIONS.
        if (!notifications.areNotificationsEnabled()) return
        val route = PushRoute.of(message.data)
        val open = PendingIntent.getActivity(
            this,
            route.hashCode(),
            route.intent(this),
            PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
        )
        // Sent during the user's quiet hours (NotificationPreferences): the backend names the "quiet" channel and
        // sets data.quiet; below Android 8 there are no channels, so the priority and setSilent keep it quiet.
        val quiet = message.data["quiet"] == "true"
        // Every push names its channel ("comments", "follows", "announcements", "quiet": PushApplication creates them).
        val channel = notification.channelId ?: if (quiet) QUIET_CHANNEL_ID else COMMENTS_CHANNEL_ID
        val shown = NotificationCompat.Builder(this, channel)
            .setSmallIcon(R.drawable.ic_notification)
            .setContentTitle(notification.title)
            .setContentText(notification.body)
            .setAutoCancel(true)
            .setContentIntent(open)
            .setPriority(if (quiet) NotificationCompat.PRIORITY_LOW else NotificationCompat.PRIORITY_DEFAULT)
            .setSilent(quiet)
            .build()
        try {
            // The tag groups a post's pushes (a newer one replaces the older); other kinds set none.
            notifications.notify(notification.tag ?: message.messageId, 0, shown)
        } catch (e: SecurityException) {
            // POST_NOTIFICATIONS revoked between the check and the call.
        }
    }
}
