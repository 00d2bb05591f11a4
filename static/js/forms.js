/* forms.js — small behaviours of plain forms, loaded on every page by base.html.
 *
 * The site's Content-Security-Policy runs only scripts from static files: no inline <script>,
 * no onclick=/onsubmit= attributes. Templates ask for behaviour with data attributes instead;
 * events are delegated from the document, so fragments swapped in later work at once.
 *
 *   <form data-confirm="Câu hỏi?">          Ask before sending; "Hủy" keeps the page as it is.
 *   <input type="checkbox" data-select-all="CSS selector">
 *                                          Tick or untick every checkbox the selector finds.
 *   <span data-file-names>                 In a form with a (visually hidden, styled) file input:
 *                                          shows the names of the files chosen.
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
    if (!window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-select-all")) return;
    var targets = document.querySelectorAll(box.getAttribute("data-select-all"));
    for (var i = 0; i < targets.length; i++) targets[i].checked = box.checked;
  });

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.form) return;
    var names = input.form.querySelector("[data-file-names]");
    if (!names) return;
    var chosen = [];
    for (var i = 0; i < input.files.length; i++) chosen.push(input.files[i].name);
    names.textContent = chosen.length ? chosen.join(", ") : "Chưa chọn tệp";
  });
})();
