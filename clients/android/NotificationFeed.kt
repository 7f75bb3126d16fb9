// The user's notification feed (docs/clients.md "The feed and badges"): every push they were sent also left
// one item in Firestore `notifications/{uid}/items/{itemId}` ({ kind, title, body, data, createdAt, read }),
// and `notifications/{uid}.unread` counts the unread ones. Both are written by the server only and read by
// their owner only; items are marked read through the `markNotificationsRead` callable, which answers the
// count after and sends each of the user's devices a silent badge update (PushMessagingService, UnreadBadge).
// Not compiled in this repository: see docs/clients.md for the Gradle dependencies.
package com.example.push

import com.google.firebase.Firebase
import com.google.firebase.Timestamp
import com.google.firebase.auth.auth
import com.google.firebase.firestore.DocumentSnapshot
import com.google.firebase.firestore.ListenerRegistration
import com.google.firebase.firestore.Query
import com.google.firebase.firestore.firestore
import com.google.firebase.functions.functions
import java.util.Date
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.tasks.await

/** One item of the feed, as the server wrote it; `data["type"]` routes a tap as on the push (PushRoute). */
data class FeedItem(
    val id: String,
    val kind: String,
    val title: String,
    val body: String?,
    val data: Map<String, String>,
    val createdAt: Date?,
    val read: Boolean,
)

/** A page of the feed, newest first; `next` is the cursor of the page after it (null: none). */
data class FeedPage(val items: List<FeedItem>, val next: DocumentSnapshot?)

/**
 * The unread count the app shows: its in-app bell, and the number on its notifications. Set from the
 * Firestore listener while the app runs, and from every push's `data.unread` (a badge update included) when
 * it does not. The launcher's own badge needs no code: the backend sets `notification_count` on every push,
 * which launchers that show counts use, and a dot follows the app's notifications.
 */
object UnreadBadge {
    private val state = MutableStateFlow(0)
    val count: StateFlow<Int> = state.asStateFlow()

    fun update(unread: Int) {
        state.value = unread.coerceAtLeast(0)
    }

    /** The count a push carries (`data.unread`, a string), when it carries one. */
    fun of(data: Map<String, String>): Int? = data["unread"]?.toIntOrNull()?.takeIf { it >= 0 }
}

object NotificationFeed {
    const val PAGE_SIZE = 20L
    private const val MARK_READ_MAX_IDS = 500

    private val functions get() = Firebase.functions("us-central1")
    private fun notifications(uid: String) = Firebase.firestore.collection("notifications").document(uid)
    private fun newestFirst(uid: String) =
        notifications(uid).collection("items").orderBy("createdAt", Query.Direction.DESCENDING)

    /** The signed-in user's unread count, now and at every change (on any device): for the bell. */
    fun watchUnread(listener: (Int) -> Unit): ListenerRegistration? {
        val uid = Firebase.auth.currentUser?.uid ?: return null
        return notifications(uid).addSnapshotListener { snapshot, error ->
            if (error != null || snapshot == null) return@addSnapshotListener
            val unread = (snapshot.getLong("unread") ?: 0L).toInt().coerceAtLeast(0)
            UnreadBadge.update(unread)
            listener(unread)
        }
    }

    /** The newest `pageSize` items, live (a new push, an item read elsewhere); older ones: `page(after = next)`. */
    fun watchLatest(pageSize: Long = PAGE_SIZE, listener: (FeedPage) -> Unit): ListenerRegistration? {
        val uid = Firebase.auth.currentUser?.uid ?: return null
        return newestFirst(uid).limit(pageSize).addSnapshotListener { snapshot, error ->
            if (error != null || snapshot == null) return@addSnapshotListener
            listener(pageOf(snapshot.documents, pageSize))
        }
    }

    /** One page, newest first: the first without `after`, the next with the `next` of the one before. */
    suspend fun page(after: DocumentSnapshot? = null, pageSize: Long = PAGE_SIZE): FeedPage {
        val uid = Firebase.auth.currentUser?.uid ?: return FeedPage(emptyList(), null)
        var query = newestFirst(uid)
        if (after != null) query = query.startAfter(after)
        return pageOf(query.limit(pageSize).get().await().documents, pageSize)
    }

    /** Marks these items read (unknown ids are ignored; again is harmless); answers the unread count after. */
    suspend fun markRead(ids: Collection<String>): Int {
        require(ids.isNotEmpty()) { "name at least one item (markAllRead marks them all)" }
        var unread = 0
        for (part in ids.distinct().chunked(MARK_READ_MAX_IDS)) unread = call(hashMapOf("ids" to part))
        return unread
    }

    /** Marks every item read; answers the unread count after (0 unless a push raced it). */
    suspend fun markAllRead(): Int = call(hashMapOf("all" to true))

    private suspend fun call(request: Map<String, Any>): Int {
        // The Functions SDK attaches the App Check token itself once App Check is installed (PushApplication).
        val result = functions.getHttpsCallable("markNotificationsRead").call(request).await()
        val unread = ((result.data as? Map<*, *>)?.get("unread") as? Number)?.toInt() ?: 0
        UnreadBadge.update(unread)
        return unread
    }

    private fun pageOf(docs: List<DocumentSnapshot>, pageSize: Long) = FeedPage(
        items = docs.map(::itemOf),
        next = if (docs.size.toLong() == pageSize) docs.last() else null,
    )

    private fun itemOf(doc: DocumentSnapshot) = FeedItem(
        id = doc.id,
        kind = doc.getString("kind") ?: "",
        title = doc.getString("title") ?: "",
        body = doc.getString("body"),
        data = (doc.get("data") as? Map<*, *>).orEmpty()
            .mapNotNull { (key, value) -> if (key is String && value is String) key to value else null }.toMap(),
        createdAt = (doc.get("createdAt", DocumentSnapshot.ServerTimestampBehavior.ESTIMATE) as? Timestamp)?.toDate(),
        read = doc.getBoolean("read") == true,
    )
}
