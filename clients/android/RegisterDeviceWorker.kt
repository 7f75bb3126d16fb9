// The registration as WorkManager work, so it completes: work outlives the service or listener that started
// it, waits for a network, and retries with backoff. Three uses:
// - registerToken(token): a new FCM token from FirebaseMessagingService.onNewToken;
// - registerSoon(): app start / sign-in;
// - schedulePeriodicRefresh(): every 14 days, the current token again, which moves the device's `lastSeenAt`
//   forward on the server. Firebase's token guide asks for a monthly refresh (quickstart-android's
//   UpdateTokenWorker); this backend deletes devices not seen for TOKEN_STALE_DAYS (30), and periodic work may
//   run days late (Doze, battery saver), so the refresh runs twice inside that window.
package com.example.push

import android.content.Context
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.Data
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import androidx.work.workDataOf
import java.util.concurrent.TimeUnit

class RegisterDeviceWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val token = inputData.getString(KEY_TOKEN) // null: the current token
        return when (PushRegistration.register(token, appVersion = BuildConfig.VERSION_NAME)) {
            PushRegistration.Outcome.REGISTERED,
            PushRegistration.Outcome.SIGNED_OUT -> Result.success() // signed out: the auth listener registers later
            PushRegistration.Outcome.RETRY_LATER -> if (runAttemptCount < MAX_ATTEMPTS) Result.retry() else Result.failure()
            PushRegistration.Outcome.FAILED -> Result.failure()
        }
    }

    companion object {
        private const val KEY_TOKEN = "token"
        private const val MAX_ATTEMPTS = 8
        private const val REGISTER_NOW = "push-register"
        private const val PERIODIC_REFRESH = "push-token-refresh"
        private const val REFRESH_DAYS = 14L

        private val online = Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build()

        /** A new token: replaces any registration still waiting, so the newest token wins. */
        fun registerToken(context: Context, token: String) = enqueueNow(context, workDataOf(KEY_TOKEN to token))

        /** The current token, as soon as there is a network. */
        fun registerSoon(context: Context) = enqueueNow(context, workDataOf())

        private fun enqueueNow(context: Context, input: Data) {
            val request = OneTimeWorkRequestBuilder<RegisterDeviceWorker>()
                .setConstraints(online)
                .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, 30, TimeUnit.SECONDS)
                .setInputData(input)
                .build()
            WorkManager.getInstance(context).enqueueUniqueWork(REGISTER_NOW, ExistingWorkPolicy.REPLACE, request)
        }

        /** Idempotent (KEEP): call at every start. */
        fun schedulePeriodicRefresh(context: Context) {
            val request = PeriodicWorkRequestBuilder<RegisterDeviceWorker>(REFRESH_DAYS, TimeUnit.DAYS)
                .setConstraints(online)
                .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, 1, TimeUnit.HOURS)
                .build()
            WorkManager.getInstance(context)
                .enqueueUniquePeriodicWork(PERIODIC_REFRESH, ExistingPeriodicWorkPolicy.KEEP, request)
        }
    }
}
