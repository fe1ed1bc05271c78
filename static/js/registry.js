// Registration form helpers: more applicants, earlier appeals of the applicant, file status.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]');
  csrf = csrf ? csrf.getAttribute("content") : "";

  function addApplicant() {
    var box = document.getElementById("applicants");
    var all = box.querySelectorAll(".applicant");
    var last = all[all.length - 1];
    var index = all.length;
    var clone = last.cloneNode(true);
    clone.setAttribute("data-index", index);
    clone.querySelectorAll("input, select, label, p.field-error").forEach(function (el) {
      if (el.matches("p.field-error")) { el.remove(); return; }
      ["name", "id", "for"].forEach(function (attr) {
        var v = el.getAttribute(attr);
        if (v) { el.setAttribute(attr, v.replace(/applicants-\d+-/, "applicants-" + index + "-")); }
      });
      if (el.tagName === "INPUT" && el.type !== "checkbox") { el.value = ""; }
      if (el.type === "checkbox") { el.checked = false; }
    });
    last.after(clone);
    var first = clone.querySelector("select, input");
    if (first) { first.focus(); }
  }

  var timer = null;
  function lookupRepeats(form) {
    var get = function (name) {
      var el = form.querySelector('[name="applicants-0-' + name + '"]');
      return el ? el.value : "";
    };
    var payload = {
      type: get("type"), full_name: get("full_name"), iin: get("iin"),
      organisation_name: get("organisation_name"), bin: get("bin"), address: get("address"),
      summary: (form.querySelector('[name="summary"]') || {}).value || ""
    };
    if (!payload.iin && !payload.bin && !(payload.full_name && payload.address)) { return; }
    fetch(form.getAttribute("data-repeats-url"), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(payload)
    }).then(function (r) { return r.ok ? r.json() : { candidates: [] }; }).then(function (data) {
      var section = document.getElementById("repeats");
      var list = document.getElementById("repeat-list");
      list.textContent = "";
      (data.candidates || []).forEach(function (c) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = c.url; a.textContent = c.reg_number + " (" + c.date + ")"; a.target = "_blank";
        li.appendChild(a);
        li.appendChild(document.createTextNode(" — " + c.summary + " · " + c.state + (c.similar ? " ★" : "")));
        var btn = document.createElement("button");
        btn.type = "button"; btn.className = "secondary link-btn";
        btn.textContent = section.getAttribute("data-link-label") || "Link";
        btn.addEventListener("click", function () {
          form.querySelector('[name="link_to"]').value = c.public_id;
          list.querySelectorAll("li").forEach(function (x) { x.classList.remove("chosen"); });
          li.classList.add("chosen");
        });
        li.appendChild(btn);
        list.appendChild(li);
      });
      section.hidden = !(data.candidates || []).length;
    }).catch(function () { /* suggestions are a help, never a blocker */ });
  }

  function pollFiles(box) {
    var url = box.getAttribute("data-status-url");
    var previewTicks = 40;  // a preview comes after the text: wait for it a minute at most
    var tick = function () {
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
        var busy = false;
        (data.files || []).forEach(function (f) {
          var cell = box.querySelector('[data-file="' + f.id + '"] .status');
          if (cell && cell.getAttribute("data-status") !== f.status) {
            cell.setAttribute("data-status", f.status);
            if (f.status === "done" || f.status === "failed" || f.status === "skipped") { window.location.reload(); }
          }
          if (f.status === "pending" || f.status === "running") { busy = true; }
          var waiting = box.querySelector('[data-file="' + f.id + '"] [data-preview="waiting"]');
          if (waiting && !f.preview_waiting) { window.location.reload(); }
          if (f.preview_waiting && previewTicks-- > 0) { busy = true; }
        });
        if (busy) { setTimeout(tick, 1500); }
      }).catch(function () { setTimeout(tick, 5000); });
    };
    setTimeout(tick, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var add = document.getElementById("add-applicant");
    if (add) { add.addEventListener("click", addApplicant); }
    var form = document.getElementById("register-form");
    if (form) {
      form.addEventListener("input", function (e) {
        if (!/applicants-0-(iin|bin|full_name|address)|summary/.test(e.target.name || "")) { return; }
        clearTimeout(timer);
        timer = setTimeout(function () { lookupRepeats(form); }, 400);
      });
    }
    // A past arrival date asks why it is registered only now (registry.arrival).
    var reason = document.getElementById("arrival-reason");
    var arrived = form && form.querySelector('[name="arrived_at"]');
    if (reason && arrived) {
      var showReason = function () {
        var day = (arrived.value || "").slice(0, 10);
        if (day && day < reason.getAttribute("data-today")) { reason.hidden = false; }
      };
      arrived.addEventListener("change", showReason);
      arrived.addEventListener("input", showReason);
      showReason();
    }
    var files = document.getElementById("files");
    if (files && files.querySelector('[data-status="pending"], [data-status="running"], [data-preview="waiting"]')) { pollFiles(files); }
  });
})();
