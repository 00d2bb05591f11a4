/* admin.js — every admin page (templates/admin/base_site.html).
 *
 * Django's autocompletes (select2) show the chosen value in a span with role="textbox" that
 * has no name of its own while nothing is chosen (axe aria-input-field-name, issue 14): give
 * it the label of the <select> it stands for, once Django has built the widgets and in each
 * row a formset adds (after Django's own handler, which builds the widget there).
 */
(function () {
  "use strict";

  function name(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = select.getAttribute("aria-label");
      if (!label && select.labels && select.labels.length) {
        label = select.labels[0].textContent.trim().replace(/:$/, "");
      }
      var container = select.nextElementSibling;
      var box = container && container.querySelector(".select2-selection__rendered");
      if (label && box) box.setAttribute("aria-label", label);
    });
  }

  // Django builds the widgets in a jQuery ready handler (autocomplete.js, a script before
  // this deferred one): a ready handler added now runs after it.
  if (window.django && window.django.jQuery) {
    window.django.jQuery(function () { name(document); });
  }
  document.addEventListener("formset:added", function (event) { name(event.target); });
})();
