// Where a tap on a push goes, from its `data.type` (docs/api.md "The push message", "Digests", "Push kinds";
// a new kind: docs/kinds.md "The clients"). The same decision for a push shown by the app in the foreground
// (PushMessagingService) and for one the system showed in the background, whose tap starts the launcher
// activity with the push's data as intent extras: call `PushRoute.of(intent.extras)` in MainActivity.
package com.example.push

import android.content.Context
import android.content.Intent
import android.os.Bundle

sealed class PushRoute {
    /** A post, scrolled to a comment when known (`comment`: the comment; `comment_digest`: the latest). */
    data class Post(val postId: String, val commentId: String?) : PushRoute()

    /** A user's profile (`follow`: the new follower). */
    data class Profile(val uid: String) : PushRoute()

    /** A request of the push outbox: its own data names the screen (e.g. `screen`, `orderId`). */
    data class Announcement(val requestId: String, val data: Map<String, String>) : PushRoute()

    /** Anything else, including a kind newer than this app version. */
    object Home : PushRoute()

    /** The intent that opens the route (adapt the extras to your navigation). */
    fun intent(context: Context): Intent {
        val intent = Intent(context, MainActivity::class.java).addFlags(Intent.FLAG_ACTIVITY_SINGLE_TOP)
        return when (this) {
            is Post -> intent.putExtra("postId", postId).putExtra("commentId", commentId)
            is Profile -> intent.putExtra("profileUid", uid)
            is Announcement -> intent.putExtra("requestId", requestId).putExtra("requestData", HashMap(data))
            Home -> intent
        }
    }

    companion object {
        fun of(data: Map<String, String>): PushRoute = when (data["type"]) {
            "comment" -> data["postId"]?.let { Post(it, data["commentId"]) } ?: Home
            "comment_digest" -> data["postId"]?.let { Post(it, data["lastCommentId"]) } ?: Home
            "follow" -> data["followerId"]?.let { Profile(it) } ?: Home
            "request" -> data["requestId"]?.let { requestId ->
                Announcement(requestId, data.filterKeys { it != "type" && it != "requestId" })
            } ?: Home
            // A silent badge update is never shown, so never tapped (PushMessagingService): only the count changes.
            "badge" -> Home
            else -> Home
        }

        /** From the extras of the intent a background push's tap started (null when it was not a push). */
        fun of(extras: Bundle?): PushRoute? {
            val type = extras?.getString("type") ?: return null
            val data = extras.keySet().mapNotNull { key -> extras.getString(key)?.let { key to it } }.toMap()
            return of(data + ("type" to type))
        }
    }
}
