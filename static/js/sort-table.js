/* Client-side sorting for <table data-sortable>: click a header button to sort by its column,
   click again to reverse. A cell sorts by its data-sort attribute (or its text); columns with
   data-sort-type="number" compare numerically ("87.747" > "9"), empty values last.
   No library, no network. */
(function () {
  "use strict";

  function keyOf(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var value = cell.getAttribute("data-sort");
    return value === null ? cell.textContent.trim() : value;
  }

  function compare(a, b, numeric) {
    if (a === "" && b === "") return 0;
    if (a === "") return 1;
    if (b === "") return -1;
    if (numeric) return parseFloat(a) - parseFloat(b);
    return a.localeCompare(b, "vi", { sensitivity: "base", numeric: true });
  }

  function sortBy(table, header) {
    var headers = Array.prototype.slice.call(header.parentNode.children);
    var index = headers.indexOf(header);
    var numeric = header.getAttribute("data-sort-type") === "number";
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (row, position) {
      return { row: row, key: keyOf(row, index), position: position };
    });
    rows.sort(function (x, y) {
      var order = compare(x.key, y.key, numeric);
      if (order !== 0 && x.key !== "" && y.key !== "") order = ascending ? order : -order;
      return order || x.position - y.position;
    });
    rows.forEach(function (item) { body.appendChild(item.row); });
    headers.forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    table.querySelectorAll("thead th[data-sort-type]").forEach(function (header) {
      var button = header.querySelector("button");
      (button || header).addEventListener("click", function () { sortBy(table, header); });
    });
  });
})();
