// The user's notification preferences (docs/api.md "Notification preferences"): which kinds of push they get
// (comments, new followers, announcements) and their quiet hours, during which pushes still arrive but
// silently, on the "quiet" channel (PushApplication). Changed only through the `setNotificationPreferences`
// callable, which merges the change into what is stored and answers with the whole result; read from
// Firestore `notifications/{uid}`, which only its owner may read and only the server writes.
// Not compiled in this repository: see docs/clients.md for the Gradle dependencies.
package com.example.push

import android.util.Log
import com.google.firebase.Firebase
import com.google.firebase.auth.auth
import com.google.firebase.firestore.firestore
import com.google.firebase.functions.FirebaseFunctionsException
import com.google.firebase.functions.functions
import java.util.TimeZone
import kotlinx.coroutines.tasks.await

private const val TAG = "NotificationPrefs"

/** `start` to `end` as "HH:MM" (24-hour; "22:00" to "07:00" spans midnight), in the IANA zone `timeZone`. */
data class QuietHours(val start: String, val end: String, val timeZone: String)

/** A new user's: every kind on, no quiet hours. */
data class Preferences(
    val comments: Boolean = true,
    val follows: Boolean = true,
    val announcements: Boolean = true,
    val quietHours: QuietHours? = null,
)

/** The callable refused the change (`invalid-argument`): each problem by field, e.g. "quietHours.end". */
class PreferencesRefused(val problems: Map<String, String>, message: String?) : Exception(message)

object NotificationPreferences {
    private val functions get() = Firebase.functions("us-central1")

    /**
     * This device's IANA time zone ("Asia/Seoul"): what quiet hours are meant in, by default. The server
     * refuses anything else (a zone set as a bare offset reads "GMT+09:00" here): let the user pick then.
     */
    fun deviceTimeZone(): String = TimeZone.getDefault().id

    /** The signed-in user's preferences as stored (the defaults when they never set any). */
    suspend fun current(): Preferences {
        val uid = Firebase.auth.currentUser?.uid ?: return Preferences()
        val snapshot = Firebase.firestore.collection("notifications").document(uid).get().await()
        return preferencesOf(snapshot.get("preferences"))
    }

    /** One switch: `setKind("comments", false)` stops comment pushes (and digests). */
    suspend fun setKind(kind: String, on: Boolean): Preferences = set(hashMapOf("kinds" to hashMapOf(kind to on)))

    /** Quiet hours in this device's time zone unless told otherwise, e.g. `setQuietHours("22:00", "07:00")`. */
    suspend fun setQuietHours(start: String, end: String, timeZone: String = deviceTimeZone()): Preferences =
        set(hashMapOf("quietHours" to hashMapOf("start" to start, "end" to end, "timeZone" to timeZone)))

    /** No quiet hours: pushes make a sound again. */
    suspend fun clearQuietHours(): Preferences = set(hashMapOf("quietHours" to null))

    /**
     * Sends `change` (`kinds` and/or `quietHours`, as the callable takes them) and answers with the whole stored
     * preferences. Throws [PreferencesRefused] on bad input (a time that is not "HH:MM", an unknown zone, start
     * equal to end: nothing is changed), and the Functions SDK's exception on anything else (no network...).
     */
    suspend fun set(change: Map<String, Any?>): Preferences {
        try {
            // The Functions SDK attaches the App Check token itself once App Check is installed (PushApplication).
            val result = functions.getHttpsCallable("setNotificationPreferences").call(change).await()
            return preferencesOf((result.data as? Map<*, *>)?.get("preferences"))
        } catch (e: FirebaseFunctionsException) {
            if (e.code != FirebaseFunctionsException.Code.INVALID_ARGUMENT) throw e
            Log.w(TAG, "setNotificationPreferences refused: ${e.message}")
            val problems = (e.details as? List<*>).orEmpty().mapNotNull { it as? Map<*, *> }
                .associate { (it["path"] as? String ?: "") to (it["message"] as? String ?: "") }
            throw PreferencesRefused(problems, e.message)
        }
    }

    /** Preferences as stored or answered, read leniently: what is missing counts as the default. */
    private fun preferencesOf(value: Any?): Preferences {
        val stored = value as? Map<*, *> ?: return Preferences()
        val kinds = stored["kinds"] as? Map<*, *> ?: emptyMap<String, Any>()
        val quiet = stored["quietHours"] as? Map<*, *>
        val start = quiet?.get("start") as? String
        val end = quiet?.get("end") as? String
        val timeZone = quiet?.get("timeZone") as? String
        return Preferences(
            comments = kinds["comments"] as? Boolean ?: true,
            follows = kinds["follows"] as? Boolean ?: true,
            announcements = kinds["announcements"] as? Boolean ?: true,
            quietHours = if (start != null && end != null && timeZone != null) QuietHours(start, end, timeZone) else null,
        )
    }
}
