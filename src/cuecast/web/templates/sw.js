// The service worker: the pages a listener needs with no network.
// The shell (the list, "Kept on this phone", styles, script, icons) is kept
// on install and refreshed whenever the network answers; the sessions a
// listener keeps (their page and audio, put there by app.js) are in the
// "cuecast-kept" cache and answered from it first. Pages are asked of the
// network first, so what is shown is current whenever there is a network.
"use strict";

var SHELL = "cuecast-shell-v1";
var KEPT = "cuecast-kept";
var SHELL_URLS = ["/", "/kept", "/app.css", "/app.js", "/manifest.webmanifest",
                  "/icon-192.png", "/icon-512.png"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(SHELL_URLS); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== SHELL && n !== KEPT; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function fromNetwork(request) {
  return fetch(request).then(function (response) {
    var path = new URL(request.url).pathname;
    if (response.ok && SHELL_URLS.indexOf(path) >= 0) {
      var copy = response.clone();
      caches.open(SHELL).then(function (cache) { cache.put(path, copy); });
    }
    return response;
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (/\/session\.mp3$/.test(url.pathname)) {  // a kept session's audio first, else the network
    event.respondWith(caches.open(KEPT).then(function (cache) {
      return cache.match(url.pathname).then(function (kept) { return kept || fetch(request); });
    }));
    return;
  }
  event.respondWith(fromNetwork(request).catch(function () {
    return caches.match(request, { ignoreSearch: request.mode === "navigate" }).then(function (hit) {
      if (hit) return hit;
      if (request.mode === "navigate") return caches.match("/kept");
      return Response.error();
    });
  }));
});
