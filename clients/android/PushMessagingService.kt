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
     * its tag (a comment's post id), and launchers that show counts take the backend's `notification_count`
     * (the unread count) as the app's badge. In the foreground FCM hands it here instead; show it the same
     * way, with a tap routed by its `data.type` (PushRoute) and the count as its number.
     *
     * A silent badge update (data only, `data.type` "badge": the user read items on one of their devices)
     * always comes here, in the foreground and the background alike: it changes the count and shows nothing.
     */
    override fun onMessageReceived(message: RemoteMessage) {
        // Every push carries the user's unread count (`data.unread`), its own feed item included.
        val unread = UnreadBadge.of(message.data)
        if (unread != null) UnreadBadge.update(unread)
        val notifications = NotificationManagerCompat.from(this)
        if (message.data["type"] == "badge") {
            // Everything was read elsewhere: the shown notifications are stale, and with them gone the
            // launcher's dot or count goes too (Android has no API to set a launcher's number by itself).
            if (unread == 0) notifications.cancelAll()
            return
        }
        val notification = message.notification ?: return
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
            // Launchers that show a number show this one (the same as the backend's notification_count).
            .setNumber(unread ?: 0)
            .build()
        try {
            // The tag groups a post's pushes (a newer one replaces the older); other kinds set none.
            notifications.notify(notification.tag ?: message.messageId, 0, shown)
        } catch (e: SecurityException) {
            // POST_NOTIFICATIONS revoked between the check and the call.
        }
    }
}
