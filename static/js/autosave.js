/* autosave.js — save forms in the background, show their state, apply the server's fragments.
 *
 * No dependency, no build step; plain ES2015 for old office PCs and phones. Every form keeps
 * its normal action/method, so the page still works (with full reloads) without JavaScript.
 * Events are delegated from the document, so fragments swapped in later work at once.
 *
 * FORM ATTRIBUTES
 *   data-autosave            Turn the form on. Value "change" (the default): save when a field
 *                            changes, text fields also after a pause in typing; the form's
 *                            submit button (e.g. "Lưu") saves at once.
 *   data-autosave="submit"   Send only when submitted (uploads, links, removals).
 *   data-autosave-confirm="…"  Ask this question before sending (e.g. removing a file).
 *   data-autosave-target="#id" Put the answer's non-fragment HTML into this element (inner).
 *   data-state               Set by this script: dirty | saving | saved | error | conflict |
 *                            offline; style on it (form[data-state=saved] …).
 *
 * INSIDE A FORM
 *   [data-autosave-status]   Text of the state: "Đang lưu…", "Đã lưu 10:32", "Chưa lưu …".
 *   input[type=file][data-max-bytes]  Refuse too large files before uploading; the message is
 *                            data-max-bytes-message (or a Vietnamese default) with {name}
 *                            and {limit} filled in.
 *   [data-file-names]        (forms.js) shows the names of the files chosen in the form
 *                            (lets the page style its own "Chọn tệp…" button).
 *   button[data-autosave-fill='{"name": "value", …}']  Set these fields of its form (checkbox:
 *                            true/false). With data-autosave-submit it then saves; without, the
 *                            form counts as saved (used by "use the stored values").
 *
 * ELSEWHERE
 *   <details data-autosave-load="url">  Each time it opens, GET url into its
 *                            [data-autosave-slot] (fresh lists, e.g. files to link).
 *
 * THE SERVER'S ANSWER (HTML)
 *   Requests carry "X-Autosave: 1", "X-Requested-With: XMLHttpRequest" and the CSRF token
 *   (X-CSRFToken, read from the form's csrfmiddlewaretoken). In the answer, every element with
 *   data-oob replaces the element of the page with the same id (totals, states, version
 *   inputs, messages); the rest goes to data-autosave-target, if any.
 *   2xx saved · 409 conflict (no retry; the fragments show both values) · 400/413/422 refused,
 *   403/404 not allowed (the fragments say why) · other statuses and network failures: kept,
 *   retried with growing pauses, and the page warns before closing.
 *   A <details id=…> inside a swapped element keeps its open/closed state.
 *   Forms fire "autosave:saved" and "autosave:error" (bubbling; detail.status).
 */
(function () {
  "use strict";

  var TYPING_PAUSE = 1500;
  var TEXT = {
    dirty: "Chưa lưu",
    saving: "Đang lưu…",
    uploading: "Đang tải lên… ",
    saved: "Đã lưu",
    error: "Chưa lưu — xem thông báo",
    conflict: "Chưa lưu — có người vừa sửa, hãy chọn giá trị",
    offline: "Mất kết nối, chưa lưu — sẽ thử lại",
    forbidden: "Không lưu được — xem thông báo",
  };
  var states = new WeakMap(); // form -> {seq: edits made, sentSeq: edits sent, busy, timer, retry}

  function stateOf(form) {
    var s = states.get(form);
    if (!s) {
      s = { seq: 0, sentSeq: 0, busy: false, timer: null, retry: 0 };
      states.set(form, s);
    }
    return s;
  }

  function isAutosave(form) {
    return form && form.tagName === "FORM" && form.hasAttribute("data-autosave");
  }

  function mode(form) {
    return form.getAttribute("data-autosave") === "submit" ? "submit" : "change";
  }

  function show(form, state, detail) {
    form.setAttribute("data-state", state);
    var box = form.querySelector("[data-autosave-status]");
    if (!box) return;
    var text = TEXT[state] || "";
    if (state === "saved") {
      var now = new Date();
      text += " " + ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2);
    }
    box.textContent = detail ? text + detail : text;
  }

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]") ||
      document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  /* Apply an answer: data-oob elements replace their namesakes; the rest goes to target. */
  function apply(html, target) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    var all = holder.content.querySelectorAll("[data-oob]");
    var fragments = [];
    for (var i = 0; i < all.length; i++) {
      // A fragment inside another one travels with it.
      var parent = all[i].parentElement;
      if (!(parent && parent.closest && parent.closest("[data-oob]"))) fragments.push(all[i]);
    }
    for (var j = 0; j < all.length; j++) all[j].removeAttribute("data-oob");
    fragments.forEach(function (fragment) {
      var old = fragment.id && document.getElementById(fragment.id);
      if (fragment.parentNode) fragment.parentNode.removeChild(fragment);
      if (!old) return;
      keepOpen(old, fragment);
      old.parentNode.replaceChild(fragment, old);
    });
    if (target) {
      while (target.firstChild) target.removeChild(target.firstChild);
      target.appendChild(holder.content);
    }
  }

  /* <details id=…> stay open or closed across a swap (e.g. the per-field totals). */
  function keepOpen(old, fresh) {
    var opened = old.querySelectorAll("details[id]");
    for (var i = 0; i < opened.length; i++) {
      var twin = fresh.querySelector("details[id='" + opened[i].id + "']");
      if (twin) twin.open = opened[i].open;
    }
  }

  /* The server refuses (413) an upload whose files together pass the limit: say so first. */
  function tooLarge(form) {
    var inputs = form.querySelectorAll("input[type=file][data-max-bytes]");
    for (var i = 0; i < inputs.length; i++) {
      var limit = parseInt(inputs[i].getAttribute("data-max-bytes"), 10);
      var files = inputs[i].files || [];
      var mb = (limit / 1048576).toFixed(0) + " MB";
      var total = 0;
      for (var j = 0; j < files.length; j++) {
        total += files[j].size;
        if (files[j].size > limit) {
          var message = inputs[i].getAttribute("data-max-bytes-message") ||
            "Tệp “{name}” vượt quá giới hạn {limit}; chưa tải lên.";
          return message.replace("{name}", files[j].name).replace("{limit}", mb);
        }
      }
      if (total > limit) {
        return "Các tệp chọn cùng lúc vượt quá " + mb + " tổng cộng; hãy tải lên từng tệp.";
      }
    }
    return "";
  }

  function send(form) {
    var s = stateOf(form);
    if (s.busy) return; // the answer to the running save sends what was edited since
    clearTimeout(s.timer);
    var problem = tooLarge(form);
    if (problem) {
      show(form, "error");
      var box = form.querySelector("[data-autosave-status]");
      if (box) box.textContent = problem;
      return;
    }
    s.busy = true;
    s.sentSeq = s.seq;
    var data = new FormData(form);
    var uploading = !!form.querySelector("input[type=file]");
    show(form, "saving");
    var request = new XMLHttpRequest();
    request.open((form.getAttribute("method") || "post").toUpperCase(), form.action);
    request.setRequestHeader("X-Autosave", "1");
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    request.setRequestHeader("X-CSRFToken", csrfToken(form));
    if (uploading && request.upload) {
      request.upload.onprogress = function (event) {
        if (event.lengthComputable) {
          var box = form.querySelector("[data-autosave-status]");
          if (box) box.textContent = TEXT.uploading + Math.round((event.loaded / event.total) * 100) + "%";
        }
      };
    }
    request.onload = function () { done(form, request.status, request.responseText); };
    request.onerror = function () { done(form, 0, ""); };
    request.send(data);
  }

  function done(form, status, html) {
    var s = stateOf(form);
    s.busy = false;
    var targetSelector = form.getAttribute("data-autosave-target");
    var target = targetSelector ? document.querySelector(targetSelector) : null;
    var knownAnswer = status >= 200 && status < 300 || status === 409 || status === 400 ||
      status === 413 || status === 422 || status === 403 || status === 404;
    if (knownAnswer && html) apply(html, status < 300 ? target : null);
    var event;
    var editedSince = s.seq !== s.sentSeq;
    if (status >= 200 && status < 300) {
      s.retry = 0;
      // Edits made while saving go out now, with the version this answer brought.
      if (editedSince) schedule(form, 0);
      else show(form, "saved");
      event = "autosave:saved";
    } else if (status === 409) {
      show(form, "conflict");
      event = "autosave:error";
    } else if (status === 400 || status === 413 || status === 422) {
      show(form, "error");
      if (editedSince && mode(form) === "change") schedule(form, 0);
      event = "autosave:error";
    } else if (status === 403 || status === 404) {
      show(form, "forbidden");
      event = "autosave:error";
    } else {
      show(form, "offline");
      s.retry = Math.min((s.retry || 1000) * 2, 30000);
      schedule(form, s.retry);
      event = "autosave:error";
    }
    if (document.body.contains(form)) {
      var custom;
      try {
        custom = new CustomEvent(event, { bubbles: true, detail: { status: status } });
      } catch (e) {
        custom = document.createEvent("CustomEvent");
        custom.initCustomEvent(event, true, false, { status: status });
      }
      form.dispatchEvent(custom);
    }
  }

  function schedule(form, delay) {
    var s = stateOf(form);
    clearTimeout(s.timer);
    s.timer = setTimeout(function () { send(form); }, delay);
  }

  function edited(form) {
    var s = stateOf(form);
    s.seq += 1;
    show(form, "dirty");
  }

  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (!isAutosave(form) || mode(form) !== "change") return;
    edited(form);
    if (event.target.type === "checkbox" || event.target.type === "radio") return;
    schedule(form, TYPING_PAUSE);
  });

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!isAutosave(form) || mode(form) !== "change") return;
    if (form.getAttribute("data-state") !== "dirty") edited(form);
    schedule(form, 0);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!isAutosave(form)) return;
    event.preventDefault();
    var question = form.getAttribute("data-autosave-confirm");
    if (question && !window.confirm(question)) return;
    if (mode(form) === "submit") {
      if (stateOf(form).busy) return; // a second click while sending sends nothing twice
      stateOf(form).seq += 1;
    }
    send(form);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-autosave-fill]") : null;
    if (!button || !button.form) return;
    event.preventDefault();
    var form = button.form;
    var values = JSON.parse(button.getAttribute("data-autosave-fill"));
    Object.keys(values).forEach(function (name) {
      var field = form.elements[name];
      if (!field) return;
      if (field.type === "checkbox") field.checked = !!values[name];
      else field.value = values[name];
    });
    if (button.hasAttribute("data-autosave-submit")) {
      edited(form);
      send(form);
    } else {
      stateOf(form).seq = stateOf(form).sentSeq;
      show(form, "saved");
      var box = button.closest("[data-autosave-dismiss]");
      if (box) box.innerHTML = "";
    }
  });

  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.open || !details.hasAttribute || !details.hasAttribute("data-autosave-load")) return;
    var slot = details.querySelector("[data-autosave-slot]") || details;
    var request = new XMLHttpRequest();
    request.open("GET", details.getAttribute("data-autosave-load"));
    request.setRequestHeader("X-Autosave", "1");
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    request.onload = function () {
      if (request.status === 200) apply(request.responseText, slot);
    };
    request.send();
  }, true);

  window.addEventListener("beforeunload", function (event) {
    var forms = document.querySelectorAll("form[data-autosave][data-state]");
    var pending = false;
    for (var i = 0; i < forms.length; i++) {
      var state = forms[i].getAttribute("data-state");
      if (mode(forms[i]) === "change" && state !== "saved") pending = true;
      if (state === "saving") pending = true;
    }
    if (pending) {
      event.preventDefault();
      event.returnValue = "Còn thay đổi chưa lưu.";
      return event.returnValue;
    }
  });
})();
