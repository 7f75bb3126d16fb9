import { getApps, initializeApp, type App } from "firebase-admin/app";
import { getFirestore, type Firestore } from "firebase-admin/firestore";

/**
 * The default Admin SDK app and its Firestore client, created on first use. Only handlers import this
 * module (lazily), so a cold start does not pay for the Firestore client before a request needs it.
 */
export function adminApp(): App {
  return getApps().find((app) => app.name === "[DEFAULT]") ?? initializeApp();
}

export function firestore(): Firestore {
  return getFirestore(adminApp());
}
