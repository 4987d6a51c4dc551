// A little help on top of pages that work without it: the live total on a
// track's page, and progress (then the player) on a session's page.
"use strict";

(function () {
  function trackPage(form) {
    var total = document.getElementById("total");
    var profile = document.getElementById("profile");
    var shown = form.querySelector("input[name=shown_profile]");
    var data = JSON.parse(document.getElementById("profile-values").textContent);
    var timer = null, asked = 0;

    function clearErrors() {
      form.querySelectorAll("input[aria-invalid]").forEach(function (i) { i.removeAttribute("aria-invalid"); });
      form.querySelectorAll(".error").forEach(function (e) { e.textContent = ""; });
    }

    function showError(field, message) {
      var input = field && document.getElementById("v-" + field);
      var where = field && document.getElementById("e-" + field);
      if (input && where) {
        input.setAttribute("aria-invalid", "true");
        where.textContent = message;
      } else {
        total.textContent = message;
      }
    }

    function update() {
      var mine = ++asked;
      var query = new URLSearchParams(new FormData(form)).toString();
      total.setAttribute("aria-busy", "true");
      fetch(form.dataset.lengthUrl + "?" + query, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (res) {
          if (mine !== asked) return;
          total.removeAttribute("aria-busy");
          clearErrors();
          if (res.ok) total.textContent = res.body.total;
          else showError(res.body.field, res.body.error || "That value does not fit.");
        })
        .catch(function () { total.removeAttribute("aria-busy"); });
    }

    function soon() {
      clearTimeout(timer);
      timer = setTimeout(update, 350);
    }

    form.addEventListener("input", function (e) { if (e.target !== profile) soon(); });
    if (profile) {
      profile.addEventListener("change", function () {
        var values = data[profile.value] || {};
        Object.keys(values).forEach(function (name) {
          var input = document.getElementById("v-" + name);
          if (input) input.value = values[name];
        });
        if (shown) shown.value = profile.value;
        update();
      });
    }
  }

  function sessionPage(box) {
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

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("session-form");
    if (form) trackPage(form);
    var box = document.getElementById("session");
    if (box) sessionPage(box);
  });
})();
