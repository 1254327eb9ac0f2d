// Filters the artifact table as you type; the query is kept in the address (?q=…&kind=…&stage=…)
// so a filtered view can be shared. Everything is in the page: no request leaves it.
(function () {
  "use strict";
  var query = document.getElementById("query");
  var kind = document.getElementById("kind");
  var stage = document.getElementById("stage");
  var deprecated = document.getElementById("deprecated");
  var count = document.getElementById("count");
  var nothing = document.getElementById("nothing");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#artifacts tbody tr"));

  function matches(row, terms) {
    var text = row.getAttribute("data-text");
    var stages = row.getAttribute("data-stages").split(" ");
    return terms.every(function (term) { return text.indexOf(term) !== -1; }) &&
      (!kind.value || row.getAttribute("data-kind") === kind.value) &&
      (!stage.value || stages.indexOf(stage.value) !== -1) &&
      (deprecated.checked || row.getAttribute("data-deprecated") !== "yes");
  }

  function remember() {
    var params = new URLSearchParams();
    if (query.value) { params.set("q", query.value); }
    if (kind.value) { params.set("kind", kind.value); }
    if (stage.value) { params.set("stage", stage.value); }
    try { history.replaceState(null, "", params.toString() ? "?" + params.toString() : location.pathname); } catch (ignored) { /* file:// */ }
  }

  function apply() {
    var terms = query.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      row.hidden = !matches(row, terms);
      if (!row.hidden) { shown += 1; }
    });
    count.textContent = shown === rows.length ? rows.length + " artifacts" : shown + " of " + rows.length + " artifacts";
    nothing.hidden = shown !== 0;
    remember();
  }

  var params = new URLSearchParams(location.search);
  query.value = params.get("q") || "";
  kind.value = params.get("kind") || "";
  stage.value = params.get("stage") || "";
  [query, kind, stage, deprecated].forEach(function (control) {
    control.addEventListener("input", apply);
    control.addEventListener("change", apply);
  });
  apply();
}());
