// Android 13 (API 33) and later show no notification until the user grants POST_NOTIFICATIONS. Ask from an
// Activity, at a moment that explains itself (e.g. after the user follows a post), not at first launch.
// Below 13 the permission is granted at install and this does nothing.
package com.example.push

import android.Manifest
import android.content.pm.PackageManager
import android.os.Build
import androidx.activity.ComponentActivity
import androidx.activity.result.contract.ActivityResultContracts
import androidx.core.content.ContextCompat

/**
 * Create it while the activity is being created (a property initialiser or onCreate): activity-result
 * launchers must be registered before the activity is started.
 */
class NotificationPermission(
    private val activity: ComponentActivity,
    private val onResult: (granted: Boolean) -> Unit = {},
) {
    private val launcher = activity.registerForActivityResult(ActivityResultContracts.RequestPermission(), onResult)

    val granted: Boolean
        get() = Build.VERSION.SDK_INT < Build.VERSION_CODES.TIRAMISU ||
            ContextCompat.checkSelfPermission(activity, Manifest.permission.POST_NOTIFICATIONS) ==
            PackageManager.PERMISSION_GRANTED

    /**
     * Asks when needed. `explain` runs instead when the user declined once: show why, then call [ask] again
     * from the user's answer. After a second refusal the system no longer shows the prompt; settings can.
     */
    fun ask(explain: () -> Unit = {}) {
        if (granted) return onResult(true)
        if (activity.shouldShowRequestPermissionRationale(Manifest.permission.POST_NOTIFICATIONS)) return explain()
        launcher.launch(Manifest.permission.POST_NOTIFICATIONS)
    }

    /** After [explain]: the prompt itself. */
    fun askAfterExplaining() {
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
            launcher.launch(Manifest.permission.POST_NOTIFICATIONS)
        }
    }
}
