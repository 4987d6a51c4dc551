// A little help on top of pages that work without it: on a track's page the
// live total, picture and chapters, fitting to a length, the link that
// carries the values and the values remembered on this device; progress
// (then the player) on a session's page, and keeping a session on this
// device to play with no network (the service worker, /sw.js, keeps the
// pages; the audio is kept in the browser's Cache Storage).
"use strict";

(function () {
  var KEPT_CACHE = "cuecast-kept";
  var KEPT_LIST = "cuecast:kept";

  function valuesKey(track) { return "cuecast:values:" + track; }

  function readJSON(key, fallback) {
    try {
      var text = window.localStorage.getItem(key);
      return text ? JSON.parse(text) : fallback;
    } catch (e) { return fallback; }
  }

  function writeJSON(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode, full */ }
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); });
  }

  function megabytes(bytes) { return (bytes / 1e6).toFixed(1) + " MB"; }

  // -- a track's page ---------------------------------------------------------------

  function trackPage(form) {
    var total = document.getElementById("total");
    var profile = document.getElementById("profile");
    var shown = form.querySelector("input[name=shown_profile]");
    var data = JSON.parse(document.getElementById("profile-values").textContent);
    var picture = document.getElementById("picture");
    var pictureText = document.getElementById("picture-text");
    var chapters = document.getElementById("chapters");
    var chaptersHeading = document.getElementById("chapters-h");
    var share = document.getElementById("share");
    var fitForm = document.getElementById("fit-form");
    var fitStatus = document.getElementById("fit-status");
    var fitProfile = document.getElementById("fit-profile");
    var track = form.dataset.track;
    var timer = null, asked = 0;

    function fieldInputs() {
      return Array.prototype.slice.call(form.querySelectorAll("input[id^='v-']"));
    }

    function current() {
      var values = {};
      fieldInputs().forEach(function (i) { values[i.name] = i.value; });
      return { profile: profile ? profile.value : "", values: values };
    }

    function remember() { writeJSON(valuesKey(track), current()); }

    function clearErrors() {
      document.querySelectorAll("input[aria-invalid]").forEach(function (i) { i.removeAttribute("aria-invalid"); });
      document.querySelectorAll(".error[id^='e-']").forEach(function (e) { e.textContent = ""; });
    }

    function showError(field, message) {
      var input = field && document.getElementById(field === "length" ? "length" : "v-" + field);
      var where = field && document.getElementById("e-" + field);
      if (input && where) {
        input.setAttribute("aria-invalid", "true");
        where.textContent = message;
      } else {
        total.textContent = message;
      }
    }

    function showPlan(body) {
      total.textContent = body.total;
      picture.innerHTML = body.picture;
      pictureText.textContent = body.description;
      chapters.textContent = "";
      body.chapters.forEach(function (c) {
        var li = document.createElement("li");
        var at = document.createElement("span");
        at.className = "at";
        at.textContent = c[0];
        li.appendChild(at);
        li.appendChild(document.createTextNode(" " + c[1]));
        chapters.appendChild(li);
      });
      chaptersHeading.hidden = body.chapters.length === 0;
      share.href = body.share;
      if (window.history && window.history.replaceState) window.history.replaceState(null, "", body.share);
    }

    function update() {
      var mine = ++asked;
      var query = new URLSearchParams(new FormData(form)).toString();
      total.setAttribute("aria-busy", "true");
      remember();
      getJSON(form.dataset.lengthUrl + "?" + query)
        .then(function (res) {
          if (mine !== asked) return;
          total.removeAttribute("aria-busy");
          clearErrors();
          if (res.ok) showPlan(res.body);
          else showError(res.body.field, res.body.error || "That value does not fit.");
        })
        .catch(function () { total.removeAttribute("aria-busy"); });
    }

    function soon() {
      clearTimeout(timer);
      timer = setTimeout(update, 350);
    }

    function setValues(values) {
      Object.keys(values).forEach(function (name) {
        var input = document.getElementById("v-" + name);
        if (input) input.value = values[name];
      });
    }

    function setProfile(name) {
      if (!profile) return;
      profile.value = name;
      if (shown) shown.value = name;
      if (fitProfile) fitProfile.value = name;
    }

    form.addEventListener("input", function (e) { if (e.target !== profile) soon(); });
    if (profile) {
      profile.addEventListener("change", function () {
        setValues(data[profile.value] || {});
        setProfile(profile.value);
        update();
      });
    }

    fitForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var lengthInput = document.getElementById("length");
      var wanted = e.submitter && e.submitter.name === "length" ? e.submitter.value : lengthInput.value;
      lengthInput.value = wanted;
      var query = new URLSearchParams({ length: wanted });
      if (profile) query.set("profile", profile.value);
      var mine = ++asked;
      fitStatus.textContent = "Fitting the session to " + wanted + "…";
      total.setAttribute("aria-busy", "true");
      getJSON(fitForm.dataset.fitUrl + "?" + query.toString())
        .then(function (res) {
          if (mine !== asked) return;
          total.removeAttribute("aria-busy");
          clearErrors();
          if (!res.ok) {
            fitStatus.textContent = "";
            showError(res.body.field, res.body.error || "That length cannot be fitted.");
            return;
          }
          setValues(res.body.values);
          if (shown && profile) shown.value = profile.value;
          showPlan(res.body);
          fitStatus.textContent = res.body.message;
          remember();
        })
        .catch(function () {
          total.removeAttribute("aria-busy");
          fitStatus.textContent = "The length could not be fitted (no connection?).";
        });
    });

    // A link with values wins; else what this device remembers for this track.
    var fromLink = new URLSearchParams(window.location.search);
    var linked = fieldInputs().some(function (i) { return fromLink.has(i.name); });
    var saved = readJSON(valuesKey(track), null);
    if (!linked && !fromLink.has("length") && saved && saved.values) {
      var differs = (profile && saved.profile !== profile.value) ||
        fieldInputs().some(function (i) { return saved.values[i.name] !== undefined && saved.values[i.name] !== i.value; });
      if (differs) {
        setProfile(saved.profile || "");
        setValues(saved.values);
        update();
      }
    } else {
      remember();
    }
  }

  // -- keeping sessions on this device ----------------------------------------------

  function keptList() { return readJSON(KEPT_LIST, []); }

  function setKeptList(list) { writeJSON(KEPT_LIST, list); }

  function keep(item) {
    return caches.open(KEPT_CACHE).then(function (cache) {
      return fetch(item.audio).then(function (r) {
        if (!r.ok) throw new Error("status " + r.status);
        return r.clone().blob().then(function (blob) {
          item.bytes = blob.size;
          return Promise.all([cache.put(item.audio, r), cache.add(item.page)]);
        });
      });
    }).then(function () {
      var list = keptList().filter(function (k) { return k.audio !== item.audio; });
      item.kept = new Date().toISOString();
      list.push(item);
      setKeptList(list);
      return item;
    });
  }

  function forget(audio) {
    var item = keptList().filter(function (k) { return k.audio === audio; })[0];
    setKeptList(keptList().filter(function (k) { return k.audio !== audio; }));
    return caches.open(KEPT_CACHE).then(function (cache) {
      return Promise.all([cache.delete(audio), item ? cache.delete(item.page) : null]);
    });
  }

  function sessionPage(box) {
    var keepBox = document.getElementById("keep");
    function offerKeep() {
      if (!keepBox || !window.caches) return;
      var status = document.getElementById("keep-status");
      var keepButton = document.getElementById("keep-button");
      var forgetButton = document.getElementById("forget-button");
      var item = { audio: keepBox.dataset.audio, page: keepBox.dataset.page,
                   title: keepBox.dataset.title, track: keepBox.dataset.track };
      function show(kept) {
        keepButton.hidden = !!kept;
        forgetButton.hidden = !kept;
        status.textContent = kept
          ? "Kept on this phone (" + megabytes(kept.bytes) + "): it plays with no network, from “Kept on this phone”."
          : "Keep this session in this browser to play it with no network.";
      }
      keepBox.hidden = false;
      show(keptList().filter(function (k) { return k.audio === item.audio; })[0]);
      keepButton.addEventListener("click", function () {
        keepButton.disabled = true;
        status.textContent = "Keeping it on this phone…";
        keep(item).then(function (kept) {
          keepButton.disabled = false;
          show(kept);
          forgetButton.focus();
        }).catch(function (e) {
          keepButton.disabled = false;
          status.textContent = "It could not be kept on this phone (" + e.message + ").";
        });
      });
      forgetButton.addEventListener("click", function () {
        forget(item.audio).then(function () { show(null); keepButton.focus(); });
      });
    }

    if (box.dataset.state === "done") { offerKeep(); return; }
    if (box.dataset.state !== "queued" && box.dataset.state !== "running") return;
    var base = box.dataset.base;
    var bar = document.getElementById("progress");
    var status = document.getElementById("status");
    var player = document.getElementById("player");
    var listen = document.getElementById("listen");
    var ready = document.getElementById("ready");
    function poll() {
      fetch(base + "status", { cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          bar.value = Math.round(s.fraction * 100);
          bar.textContent = bar.value + " %";
          if (s.state === "queued") {
            status.textContent = "Waiting for its turn" + (s.position ? " (" + s.position + " ahead)" : "") + "…";
          } else if (s.state === "running") {
            status.textContent = "Making your session… " + bar.value + " %";
          }
          if (s.live && !player.getAttribute("src")) {
            player.src = s.state === "done" ? base + "session.mp3" : base + "live.mp3";
            listen.hidden = false;
          }
          if (s.state === "done") {
            status.textContent = "Your session is ready.";
            bar.parentNode.hidden = true;
            listen.querySelector("p").hidden = true;
            ready.hidden = false;
            if (!player.getAttribute("src")) { player.src = base + "session.mp3"; listen.hidden = false; }
            offerKeep();
            return;
          }
          if (s.state === "failed") {
            status.textContent = "This session could not be made: " + s.error;
            return;
          }
          setTimeout(poll, 1000);
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    poll();
  }

  function keptPage(listBox) {
    var status = document.getElementById("kept-status");
    var urls = [];
    function render() {
      urls.forEach(function (u) { URL.revokeObjectURL(u); });
      urls = [];
      listBox.textContent = "";
      var list = keptList();
      if (!window.caches) { status.textContent = "This browser cannot keep sessions."; return; }
      if (!list.length) { status.textContent = "Nothing is kept on this phone yet."; return; }
      var bytes = list.reduce(function (n, k) { return n + (k.bytes || 0); }, 0);
      status.textContent = list.length + (list.length === 1 ? " session is" : " sessions are") +
        " kept on this phone (" + megabytes(bytes) + " in all).";
      caches.open(KEPT_CACHE).then(function (cache) {
        list.forEach(function (item, i) {
          var li = document.createElement("li");
          var h = document.createElement("h2");
          h.textContent = item.title;
          li.appendChild(h);
          var meta = document.createElement("p");
          meta.className = "len";
          meta.textContent = megabytes(item.bytes || 0) + ", kept " + (item.kept || "").slice(0, 10);
          li.appendChild(meta);
          var player = document.createElement("audio");
          player.controls = true;
          player.id = "kept-player-" + i;
          player.setAttribute("aria-label", "Play " + item.title);
          li.appendChild(player);
          var remove = document.createElement("button");
          remove.type = "button";
          remove.className = "secondary";
          remove.textContent = "Remove from this phone";
          remove.setAttribute("aria-label", "Remove " + item.title + " from this phone");
          remove.addEventListener("click", function () { forget(item.audio).then(render); });
          li.appendChild(remove);
          listBox.appendChild(li);
          cache.match(item.audio).then(function (r) {
            if (!r) { meta.textContent = "No longer stored by this browser."; return null; }
            return r.blob().then(function (blob) {
              var url = URL.createObjectURL(blob);
              urls.push(url);
              player.src = url;
            });
          });
        });
      });
    }
    render();
  }

  function homePage() {
    var here = document.getElementById("kept-here");
    var list = keptList();
    if (here && list.length) {
      document.getElementById("kept-summary").textContent = list.length +
        (list.length === 1 ? " session is" : " sessions are") + " kept here to play with no network.";
      here.hidden = false;
    }
    document.querySelectorAll(".card[data-length-url]").forEach(function (card) {
      getJSON(card.dataset.lengthUrl).then(function (res) {
        if (!res.ok) return;
        card.querySelector(".card-total").textContent = res.body.total;
        card.querySelector(".card-picture").innerHTML = res.body.picture;
      }).catch(function () { /* offline: the card keeps its link */ });
    });
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () { /* not over http from afar */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("session-form");
    if (form) trackPage(form);
    var box = document.getElementById("session");
    if (box) sessionPage(box);
    var listBox = document.getElementById("kept-list");
    if (listBox) keptPage(listBox);
    if (document.querySelector(".cards")) homePage();
  });
})();
