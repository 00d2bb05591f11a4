/* jobs.js — a job's page (templates/jobs/job.html) follows the job until it ends.
 *
 *   <section data-job-status="/jobs/7/status.json">   polled every second; the <progress>,
 *   the [data-job-…] texts follow it; once the job is done the page opens its result
 *   (a download) by itself; a failed job shows its error. No inline script (CSP).
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
  function show(data) {
    var bar = box.querySelector("progress");
    if (bar) { bar.value = data.percent; bar.textContent = data.percent + "%"; }
    set("percent", data.percent + "%");
    set("done", data.done);
    set("total", data.total);
    set("state", data.state_label);
    var error = box.querySelector("[data-job-error]");
    if (error) { error.textContent = data.error; error.hidden = !data.error; }
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
