// Parley's service worker: shows Web Push notifications (sent by the server
// when you have no open session) and opens the conversation on click.
// Served at /sw.js so its scope is the whole app.
"use strict";

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (_) {
    data = { body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(
    self.registration.showNotification(data.title || "Parley", {
      body: data.body || "",
      tag: data.tag || "parley",
      data: { url: data.url || "/" },
    })
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  // Only ever navigate within this app.
  let url = new URL("/", self.location.origin);
  try {
    const wanted = new URL((event.notification.data || {}).url || "/", self.location.origin);
    if (wanted.origin === self.location.origin) url = wanted;
  } catch (_) {}
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const w of windows) {
        if ("focus" in w) {
          return w.navigate(url.href).then((c) => (c || w).focus());
        }
      }
      return self.clients.openWindow(url.href);
    })
  );
});
