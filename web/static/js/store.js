// The phone's own database (IndexedDB), shared by the pages and the service worker.
//   outbox: waiting visits, sealed (see seal.js), one row per visit id, indexed by user
//   keys:   each user's non-extractable keys on this device (seal.js): the device key, the live
//           session's key (pick list, Today copy) and the wrapped key pair of the queue
//   state:  small facts: this device's id, who used the app last, language, sealed pick lists

const DB_NAME = "rinnalla";
const DB_VERSION = 1;
let opening = null;

export function openDb() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("outbox", { keyPath: "id" }).createIndex("user", "user_id");
      db.createObjectStore("keys", { keyPath: "user_id" });
      db.createObjectStore("state");
    };
    request.onsuccess = () => {
      const db = request.result;
      // A newer version of the app wants to upgrade the database: let it.
      db.onversionchange = () => { db.close(); opening = null; };
      resolve(db);
    };
    request.onerror = () => { opening = null; reject(request.error); };
  });
  return opening;
}

function finished(transaction) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

function result(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export async function get(storeName, key) {
  const db = await openDb();
  return result(db.transaction(storeName).objectStore(storeName).get(key));
}

// Writes wait for a strict commit: a visit saved in a stairwell must survive the phone being
// switched off a second later (Chromium's default durability is relaxed).
export async function put(storeName, value, key) {
  const db = await openDb();
  const transaction = db.transaction(storeName, "readwrite", { durability: "strict" });
  transaction.objectStore(storeName).put(value, key);
  return finished(transaction);
}

export async function remove(storeName, key) {
  const db = await openDb();
  const transaction = db.transaction(storeName, "readwrite", { durability: "strict" });
  transaction.objectStore(storeName).delete(key);
  return finished(transaction);
}

export async function all(storeName) {
  const db = await openDb();
  return result(db.transaction(storeName).objectStore(storeName).getAll());
}

export async function byUser(userId) {
  const db = await openDb();
  return result(db.transaction("outbox").objectStore("outbox").index("user").getAll(userId));
}

// A wiped phone (static/js/wipe.js): the whole database goes. Our own connection closes first;
// other tabs and the service worker close theirs on the versionchange this sends (see openDb).
export async function destroy() {
  const db = await opening?.catch(() => null);
  db?.close();
  opening = null;
  await new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(DB_NAME);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}
