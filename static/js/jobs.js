/* jobs.js — a job's page (templates/jobs/job.html) follows the job until it ends.
 *
 *   <section data-job-status="/jobs/7/status.json">   polled every second; the <progress>,
 *   the [data-job-…] texts follow it; once the job is done the page opens its result
 *   (a download) by itself; a failed job shows its error and the list of its details (an
 *   import's row errors); the note (what the job does, then its summary) and the link back
 *   follow too. Texts are set as text, never as markup. No inline script (CSP).
 */
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status]");
  if (!box) return;
  var url = box.getAttribute("data-job-status");
  function set(name, text) {
    var node = box.querySelector("[data-job-" + name + "]");
    if (node) node.textContent = text;
  }
  function lines(node, tag, texts) {
    // Replace the node's children by one <tag> per text (an import's summary, its errors).
    if (!node) return;
    while (node.firstChild) node.removeChild(node.firstChild);
    (texts || []).forEach(function (text) {
      var line = document.createElement(tag);
      line.textContent = text;
      node.appendChild(line);
    });
    node.hidden = !(texts && texts.length);
  }
  function show(data) {
    var bar = box.querySelector("progress");
    if (bar) { bar.value = data.percent; bar.textContent = data.percent + "%"; }
    set("percent", data.percent + "%");
    set("done", data.done);
    set("total", data.total);
    set("state", data.state_label);
    var error = box.querySelector("[data-job-error]");
    if (error) { error.hidden = !data.error; set("error-message", data.error); }
    lines(box.querySelector("[data-job-errors]"), "li", data.errors);
    var note = box.querySelector("[data-job-note]");
    lines(note, "p", data.note);
    if (note) note.classList.toggle("success", data.state === "done");
    if (data.back_url) {
      var back = box.querySelector("[data-job-back]");
      var backLink = box.querySelector("[data-job-back-link]");
      if (backLink) backLink.setAttribute("href", data.back_url);
      if (back) back.hidden = false;
    }
    if (data.next_url) {
      var ready = box.querySelector("[data-job-ready]");
      var link = box.querySelector("[data-job-link]");
      if (link) link.setAttribute("href", data.next_url);
      if (ready) ready.hidden = false;
      window.location.assign(data.next_url);
    }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        show(data);
        if (data.state === "queued" || data.state === "running") window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  var link = box.querySelector("[data-job-link]");
  if (link && link.getAttribute("href")) { window.location.assign(link.getAttribute("href")); return; }
  window.setTimeout(poll, 500);
})();
