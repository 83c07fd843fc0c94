// The hub's report page: show the period pickers of the kind chosen (the office page's
// rule: data-for lists the kinds a field belongs to). The form works without it.
(function () {
  "use strict";
  const kind = document.getElementById("hr-kind");
  if (!kind) return;
  function show() {
    document.querySelectorAll("#hr-form [data-for]").forEach((el) => {
      el.hidden = !el.dataset.for.split(" ").includes(kind.value);
    });
  }
  kind.addEventListener("change", show);
  show();
})();
