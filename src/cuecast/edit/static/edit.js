/* cuecast edit: the page's behaviour. Talks JSON to the server it came from
   (the token is a cookie); no other request leaves the page. */
(function () {
  "use strict";
  var CHECK_DELAY_MS = 450;
  var PROBLEMS = "cm-problems";  /* the gutter of the messages' markers */
  var MARK = { error: "\u2716", warning: "\u25B2" };  /* a cross, a triangle: shape, not only colour */
  var $ = function (id) { return document.getElementById(id); };
  var state = {
    name: null, version: null, clean: 0, last: null, okReport: null,
    seq: 0, timer: null, problemLine: null, playing: null
  };

  var cm = CodeMirror.fromTextArea($("text"), {
    mode: "yaml", lineNumbers: true, lineWrapping: true, indentUnit: 2, tabSize: 2,
    indentWithTabs: false, autofocus: true, screenReaderLabel: $("text").getAttribute("aria-label"),
    gutters: ["CodeMirror-linenumbers", PROBLEMS],
    extraKeys: {
      "Ctrl-S": save, "Cmd-S": save,
      "Ctrl-Enter": playLine, "Cmd-Enter": playLine,
      "Tab": function (c) { c.execCommand("insertSoftTab"); }
    }
  });

  function status(text) { $("status").textContent = text; }

  function api(method, url, body) {
    var init = { method: method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (r) {
      return r.json().catch(function () { return { error: r.statusText }; })
        .then(function (data) { data._status = r.status; return data; });
    });
  }

  /* -- files ---------------------------------------------------------------------- */

  function loadList(select) {
    return api("GET", "/api/files").then(function (data) {
      var menu = $("file");
      menu.textContent = "";
      (data.files || []).forEach(function (f) {
        var o = document.createElement("option");
        o.value = f.name;
        o.textContent = f.name + (f.kind === "catalogue" ? " (catalogue)" : "");
        menu.appendChild(o);
      });
      document.title = (data.folder || "") + " · cuecast edit";
      $("folder").textContent = data.folder ? "· " + data.folder : "";
      var wanted = select || new URLSearchParams(location.search).get("file") || state.name;
      var routines = (data.files || []).filter(function (f) { return f.kind === "routine"; });
      if (!wanted && data.files && data.files.length) wanted = (routines[0] || data.files[0]).name;
      if (wanted) { menu.value = wanted; return openFile(wanted); }
    });
  }

  function openFile(name) {
    if (state.name && !cm.isClean(state.clean) && !confirm("Leave " + state.name + " without saving?")) {
      $("file").value = state.name;
      return Promise.resolve();
    }
    return api("GET", "/api/file?name=" + encodeURIComponent(name)).then(function (data) {
      if (data.error) { status(data.error); return; }
      showFile(data);
    });
  }

  function showFile(data) {
    var sep = data.text.indexOf("\r\n") >= 0 ? "\r\n" : "\n";
    cm.swapDoc(CodeMirror.Doc(data.text, "yaml", 0, sep));
    state.name = data.name;
    state.version = data.version;
    state.clean = cm.changeGeneration();
    state.okReport = null;
    $("file").value = data.name;
    $("undo").disabled = !data.can_undo;
    $("conflict").hidden = true;
    history.replaceState(null, "", "/?file=" + encodeURIComponent(data.name));
    status("Opened " + data.name);
    cm.on("changes", changed);
    check();
  }

  function changed() {
    status(cm.isClean(state.clean) ? "Saved" : "Not saved");
    clearTimeout(state.timer);
    state.timer = setTimeout(check, CHECK_DELAY_MS);
  }

  function save() {
    return saveAs(state.version);
  }

  function saveAs(version) {
    if (state.saving) return state.saving;
    var text = cm.getValue(), generation = cm.changeGeneration();
    status("Saving…");
    state.saving = api("POST", "/api/save", { name: state.name, text: text, version: version })
      .then(function (data) {
        state.saving = null;
        if (data._status === 409) { showConflict(data.conflict); status("Not saved: changed on disk"); return false; }
        if (data.error) { status("Not saved: " + data.error); return false; }
        state.version = data.version;
        state.clean = generation;
        $("undo").disabled = !data.can_undo;
        $("conflict").hidden = true;
        status(cm.isClean(state.clean) ? "Saved" : "Not saved");
        return true;
      }, function () { state.saving = null; status("Not saved: the editor does not answer"); return false; });
    return state.saving;
  }

  function showConflict(conflict) {
    state.conflict = conflict;
    $("disk-text").textContent = conflict.text;
    $("conflict").hidden = false;
  }

  function undoSave() {
    api("POST", "/api/undo", { name: state.name }).then(function (data) {
      if (data._status === 409) { showConflict(data.conflict); return; }
      if (data.error) { status(data.error); return; }
      showFile(data);
      status("The last save was undone");
    });
  }

  function manage(url, extra) {
    var wanted = $("new-name").value.trim();
    if (wanted && !/\.ya?ml$/i.test(wanted)) wanted += ".yaml";
    var body = url === "/api/new" ? { name: wanted } : { name: state.name, to: wanted };
    if (extra) extra();
    api("POST", url, body).then(function (data) {
      if (data.error) { status(data.error); return; }
      state.clean = cm.changeGeneration();  /* the old file is left as it is on disk */
      loadList(data.name);
    });
  }

  /* -- the live check ------------------------------------------------------------- */

  function check() {
    /* one check at a time: typing meanwhile asks for one more, of the latest text */
    clearTimeout(state.timer);
    if (state.inflight) { state.again = true; return; }
    state.inflight = true;
    var seq = ++state.seq;
    $("check-state").textContent = "checking…";
    $("check-state").className = "";
    api("POST", "/api/check", { name: state.name, text: cm.getValue() }).then(function (report) {
      state.inflight = false;
      if (state.again) { state.again = false; check(); return; }
      if (seq === state.seq) showReport(report);
    }, function () {
      state.inflight = false;
      $("check-state").textContent = "the editor does not answer";
    });
  }

  function showReport(report) {
    state.last = report;
    if (report.ok && report.key) state.okReport = report;
    var messages = report.messages || [];
    var errors = messages.filter(function (m) { return m.severity === "error"; }).length;
    $("check-state").textContent = report.error ? report.error
      : errors ? "error" : messages.length ? messages.length + " warning(s)" : "ok";
    $("check-state").className = errors || report.error ? "bad" : "";
    if (report.ok && report.kind === "routine") {
      $("total").textContent = report.total;
      $("picture").innerHTML = report.picture;  /* SVG made by the server, text escaped */
      $("picture").className = "";
      showVars(report.vars || []);
    } else {
      $("picture").className = "stale";
      if (report.kind === "catalogue" && report.ok) {
        $("total").textContent = report.tracks.length + " tracks";
      }
    }
    showMessages(messages, report);
  }

  function showMessages(messages, report) {
    var list = $("messages");
    list.textContent = "";
    if (state.problemLine !== null) {
      cm.removeLineClass(state.problemLine, "background", "cm-problem-line");
      state.problemLine = null;
    }
    cm.clearGutter(PROBLEMS);
    markLines(messages);
    if (!messages.length) {
      var li = document.createElement("li");
      li.className = "ok";
      li.textContent = report.error ? report.error : "No problems.";
      list.appendChild(li);
      return;
    }
    messages.forEach(function (m, i) {
      var li = document.createElement("li");
      li.className = m.severity;
      li.tabIndex = 0;
      var where = document.createElement("span");
      where.className = "where";
      where.textContent = (m.file ? m.file + ":" : "") + (m.line ? "line " + m.line +
        (m.column ? ":" + m.column : "") : "") + " " + m.severity + ": ";
      li.appendChild(where);
      li.appendChild(document.createTextNode(m.message));
      if (m.hint) {
        var hint = document.createElement("span");
        hint.className = "hint";
        hint.textContent = m.hint;
        li.appendChild(hint);
      }
      if (m.line && !m.file) {
        li.dataset.line = m.line;
        li.dataset.column = m.column || 1;
        li.addEventListener("click", jump);
        li.addEventListener("keydown", function (e) { if (e.key === "Enter") jump.call(li); });
        if (i === 0 && m.severity === "error") {
          state.problemLine = cm.addLineClass(m.line - 1, "background", "cm-problem-line");
        }
      }
      list.appendChild(li);
    });
  }

  function markLines(messages) {
    /* a marker beside each line a message is about (in this file): the worst
       one's shape, every message of the line in its name and tooltip */
    var byLine = {};
    messages.forEach(function (m) {
      if (!m.line || m.file) return;
      (byLine[m.line] = byLine[m.line] || []).push(m);
    });
    Object.keys(byLine).forEach(function (line) {
      var here = byLine[line];
      var worst = here.some(function (m) { return m.severity === "error"; }) ? "error" : "warning";
      var mark = document.createElement("span");
      mark.className = "cm-problem-marker " + worst;
      mark.textContent = MARK[worst];
      mark.setAttribute("role", "img");
      mark.title = here.map(function (m) {
        return "line " + line + " " + m.severity + ": " + m.message;
      }).join("\n");
      mark.setAttribute("aria-label", mark.title);
      cm.setGutterMarker(Number(line) - 1, PROBLEMS, mark);
    });
  }

  function showMessageOf(c, line, gutter) {
    /* a click on a marker: its message in the list, focused */
    if (gutter !== PROBLEMS) return;
    var li = document.querySelector('#messages li[data-line="' + (line + 1) + '"]');
    if (li) { li.focus(); li.scrollIntoView({ block: "nearest" }); }
  }

  function jump() {
    var line = Number(this.dataset.line) - 1, ch = Number(this.dataset.column) - 1;
    cm.focus();
    cm.setCursor({ line: line, ch: ch });
    cm.scrollIntoView({ line: line, ch: ch }, 80);
  }

  function showVars(vars) {
    var body = $("vars").tBodies[0];
    body.textContent = "";
    vars.forEach(function (v) {
      var tr = document.createElement("tr");
      var bounds = v.min && v.max ? v.min + " to " + v.max : v.min ? "at least " + v.min
        : v.max ? "at most " + v.max : "";
      [v.label, v.value, bounds].forEach(function (text, i) {
        var td = document.createElement("td");
        td.textContent = text;
        if (i === 2) td.className = "bounds";
        tr.appendChild(td);
      });
      tr.title = v.name + " (line " + v.line + ")";
      body.appendChild(tr);
    });
  }

  /* -- hearing -------------------------------------------------------------------- */

  function player() { return $("player"); }

  function playLine() {
    var report = state.okReport;
    if (!report) { status("Fix the script's error first"); return; }
    state.playing = null;
    var line = cm.getCursor().line + 1;
    player().src = "/audio/line/" + report.key + "/" + line + ".wav";
    player().play().catch(function () {});
  }

  function playFrom(seconds) {
    /* one WAV from there to the end, made of the kept pieces: no gap between them */
    var report = state.okReport;
    if (!report) { status("Fix the script's error first"); return; }
    state.playing = { from: seconds, total: report.total_s };
    player().src = "/audio/from/" + report.key + "/" + Math.round(seconds * 1000) + ".wav";
    player().play().catch(function () {});
  }

  function movePlayhead() {
    var p = state.playing, head = $("playhead");
    if (!p || !p.total) { head.hidden = true; return; }
    var at = p.from + player().currentTime;
    head.hidden = false;
    head.style.left = (100 * at / p.total) + "%";
  }

  function pictureClick(e) {
    var report = state.okReport;
    if (!report) return;
    var box = $("picture").getBoundingClientRect();
    playFrom(Math.max(0, (e.clientX - box.left) / box.width) * report.total_s);
  }

  function playHere() {
    /* from the first line spoken at or below the cursor, else the last above it */
    var report = state.okReport;
    if (!report) { status("Fix the script's error first"); return; }
    var line = cm.getCursor().line + 1, speech = report.speech || [];
    var below = speech.filter(function (s) { return s.line >= line; });
    var above = speech.filter(function (s) { return s.line < line; });
    var from = below.length ? below[0] : above.length ? above[above.length - 1] : null;
    playFrom(from ? from.start : 0);
  }

  /* -- render --------------------------------------------------------------------- */

  function renderFile() {
    var go = cm.isClean(state.clean) ? Promise.resolve(true) : save();
    go.then(function (saved) {
      if (!saved) return;
      api("POST", "/api/render", { name: state.name }).then(function (job) {
        if (job.error) { $("render-state").textContent = job.error; return; }
        $("render").disabled = true;
        poll(job.id);
      });
    });
  }

  function poll(id) {
    api("GET", "/api/render/" + id).then(function (job) {
      var text;
      if (job.finished) {
        $("render").disabled = false;
        text = job.error ? "Render failed: " + job.error
          : "Wrote " + job.wrote.join(", ") + " (" + job.length + ")";
      } else {
        var pct = job.total ? Math.floor(100 * job.done / job.total) : 0;
        text = "Rendering: " + (job.stage === "speech" ? "speech " + job.done + " of " + job.total
          : job.stage === "audio" ? "audio " + pct + " %" : job.stage) + "…";
        setTimeout(function () { poll(id); }, 500);
      }
      $("render-state").textContent = text;
    });
  }

  /* -- wiring --------------------------------------------------------------------- */

  $("file").addEventListener("change", function () { openFile(this.value); });
  $("save").addEventListener("click", save);
  $("undo").addEventListener("click", undoSave);
  $("render").addEventListener("click", renderFile);
  $("new").addEventListener("click", function () { manage("/api/new"); });
  $("duplicate").addEventListener("click", function () { manage("/api/duplicate"); });
  $("rename").addEventListener("click", function () { manage("/api/rename"); });
  $("play-line").addEventListener("click", playLine);
  $("play-here").addEventListener("click", playHere);
  $("stop").addEventListener("click", function () { state.playing = null; player().pause(); });
  $("picture-box").addEventListener("click", pictureClick);
  $("keep-mine").addEventListener("click", function () { saveAs(state.conflict.version); });
  $("take-disk").addEventListener("click", function () {
    var c = state.conflict;
    cm.setValue(c.text);
    state.version = c.version;
    state.clean = cm.changeGeneration();
    $("conflict").hidden = true;
    status("Took the text on disk");
  });
  cm.on("gutterClick", showMessageOf);
  player().addEventListener("ended", function () { $("playhead").hidden = true; });
  player().addEventListener("timeupdate", movePlayhead);
  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented) return;  /* the editor's own Ctrl-S */
    if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); save(); }
  });
  window.addEventListener("beforeunload", function (e) {
    if (state.name && !cm.isClean(state.clean)) { e.preventDefault(); e.returnValue = ""; }
  });
  loadList();
})();
