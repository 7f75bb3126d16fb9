// The Android (Kotlin) client side of this backend, as the README shows it. Not compiled here: it uses the
// Firebase Android BoM (firebase-auth, firebase-functions, firebase-messaging) and
// kotlinx-coroutines-play-services for `await()`.
//
// When to call what:
// - registerDevice at every app start once signed in, and on every new FCM token (onNewToken);
// - unregisterDevice at sign-out, before signing out (afterwards the call is no longer authenticated).
package com.example.push

import android.util.Log
import com.google.firebase.Firebase
import com.google.firebase.auth.FirebaseAuth
import com.google.firebase.auth.auth
import com.google.firebase.functions.functions
import com.google.firebase.messaging.FirebaseMessagingService
import com.google.firebase.messaging.messaging
import java.util.Locale
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.tasks.await

private const val TAG = "PushRegistration"

object PushRegistration {
    private val functions get() = Firebase.functions("us-central1")

    /**
     * Call once from `Application.onCreate()`. The listener fires at start with the current user and at
     * every sign-in, so the device is registered at every app start once someone is signed in.
     */
    fun start(scope: CoroutineScope) {
        Firebase.auth.addAuthStateListener { auth: FirebaseAuth ->
            if (auth.currentUser != null) scope.launch { register() }
        }
    }

    /** Registers `token` (by default the current FCM token) for the signed-in user; a no-op when signed out. */
    suspend fun register(token: String? = null) {
        if (Firebase.auth.currentUser == null) return // registered by the auth listener after sign-in
        val data = hashMapOf(
            "token" to (token ?: Firebase.messaging.token.await()),
            "platform" to "android",
            "locale" to bcp47Locale(),
            // Optional: "appVersion" to BuildConfig.VERSION_NAME,
        )
        try {
            functions.getHttpsCallable("registerDevice").call(data).await()
        } catch (e: Exception) {
            // Not fatal: the next app start or token refresh registers again.
            Log.w(TAG, "registerDevice failed", e)
        }
    }

    /** Sign-out: stops this user's pushes to this device, then signs out. */
    suspend fun signOut() {
        try {
            val token = Firebase.messaging.token.await()
            functions.getHttpsCallable("unregisterDevice").call(hashMapOf("token" to token)).await()
        } catch (e: Exception) {
            // Sign out anyway: the token then goes stale and the daily prune removes it.
            Log.w(TAG, "unregisterDevice failed", e)
        }
        Firebase.auth.signOut()
    }

    /**
     * The device language as a BCP 47 tag ("ko-KR"). Android 14's regional preferences add Unicode
     * extensions ("en-US-u-fw-mon-mu-celsius") that the backend does not need: they are stripped.
     */
    private fun bcp47Locale(): String = Locale.getDefault().stripExtensions().toLanguageTag()
}

/** Declared in AndroidManifest.xml with the `com.google.firebase.MESSAGING_EVENT` intent filter. */
class PushMessagingService : FirebaseMessagingService() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.IO)

    override fun onNewToken(token: String) {
        scope.launch { PushRegistration.register(token) }
    }

    override fun onDestroy() {
        scope.cancel()
        super.onDestroy()
    }
}
