// Search and tag filter of the audiences table (rows carry their text and tags).
(function () {
  const search = document.getElementById("search");
  const tag = document.getElementById("tag");
  function filter() {
    const text = search.value.trim().toLowerCase();
    for (const row of document.querySelectorAll("tr[data-segment]")) {
      const tags = row.dataset.tags.split(" ");
      const shown = row.dataset.text.includes(text) && (!tag.value || tags.includes(tag.value));
      row.hidden = !shown;
    }
  }
  search.addEventListener("input", filter);
  tag.addEventListener("change", filter);
})();
