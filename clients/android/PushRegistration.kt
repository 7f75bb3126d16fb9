// Registers this device's FCM token with the backend (docs/api.md "Callable functions"): at every app start once
// signed in, on every new token (PushMessagingService -> RegisterDeviceWorker), and every two weeks in the
// background (RegisterDeviceWorker.schedulePeriodicRefresh). Unregisters at sign-out, before signing out.
// Not compiled in this repository: see docs/clients.md for the Gradle dependencies and the manifest.
package com.example.push

import android.util.Log
import com.google.firebase.Firebase
import com.google.firebase.auth.auth
import com.google.firebase.functions.FirebaseFunctionsException
import com.google.firebase.functions.functions
import com.google.firebase.messaging.messaging
import java.util.Locale
import kotlinx.coroutines.tasks.await

private const val TAG = "PushRegistration"

object PushRegistration {
    /** The backend's region (docs/api.md: us-central1). */
    private val functions get() = Firebase.functions("us-central1")

    /** What a registration attempt came to, so a worker can decide whether to retry. */
    enum class Outcome { REGISTERED, SIGNED_OUT, RETRY_LATER, FAILED }

    /**
     * Registers `token` (by default the current FCM token) for the signed-in user. Never throws: an offline
     * first start, a phone without Google Play services or a backend error is logged and reported as an
     * outcome, and the next start, token refresh or periodic refresh registers again.
     */
    suspend fun register(token: String? = null, appVersion: String? = null): Outcome {
        if (Firebase.auth.currentUser == null) return Outcome.SIGNED_OUT // the auth listener registers after sign-in
        return try {
            // Inside the try: getToken() fails without network on a first start, or without Play services.
            val fcmToken = token ?: Firebase.messaging.token.await()
            val data = hashMapOf<String, Any>(
                "token" to fcmToken,
                "platform" to "android",
                "locale" to bcp47Locale(),
            )
            if (appVersion != null) data["appVersion"] = appVersion
            // The Functions SDK attaches the App Check token itself once App Check is installed (PushApplication).
            functions.getHttpsCallable("registerDevice").call(data).await()
            Outcome.REGISTERED
        } catch (e: FirebaseFunctionsException) {
            Log.w(TAG, "registerDevice failed: ${e.code}", e)
            when (e.code) {
                FirebaseFunctionsException.Code.UNAVAILABLE,
                FirebaseFunctionsException.Code.DEADLINE_EXCEEDED,
                FirebaseFunctionsException.Code.INTERNAL,
                FirebaseFunctionsException.Code.RESOURCE_EXHAUSTED -> Outcome.RETRY_LATER
                else -> Outcome.FAILED // e.g. UNAUTHENTICATED: no App Check token (see docs/clients.md)
            }
        } catch (e: Exception) {
            // No token (offline, no Play services: IOException / ExecutionException) or no network for the call.
            Log.w(TAG, "no FCM token or no connection; registering later", e)
            Outcome.RETRY_LATER
        }
    }

    /**
     * Sign-out: stops this user's pushes to this device, then signs out. Signing out never waits on a
     * failure here: an unregistered token simply goes stale and the daily prune removes it.
     */
    suspend fun signOut() {
        try {
            val token = Firebase.messaging.token.await()
            functions.getHttpsCallable("unregisterDevice").call(hashMapOf("token" to token)).await()
        } catch (e: Exception) {
            Log.w(TAG, "unregisterDevice failed; signing out anyway", e)
        }
        Firebase.auth.signOut()
    }

    /**
     * The device language as a BCP 47 tag ("ko-KR"). Android 14's regional preferences add Unicode
     * extensions ("en-US-u-fw-mon-mu-celsius") that the backend does not need: they are stripped.
     */
    private fun bcp47Locale(): String = Locale.getDefault().stripExtensions().toLanguageTag()
}
