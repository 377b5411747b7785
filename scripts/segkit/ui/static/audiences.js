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
  // The overlap heatmap: each cell's share of the row's segment, shaded by the Jaccard index.
  document.getElementById("overlap").addEventListener("click", async () => {
    const target = document.getElementById("overlap-result");
    const names = [...document.querySelectorAll(".pick:checked")].map((box) => box.value);
    const response = await fetch("/api/overlap?segments=" + encodeURIComponent(names.join(",")));
    const data = await response.json();
    if (!response.ok) {
      target.textContent = data.error;
      return;
    }
    const pair = (a, b) => data.pairs.find((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a));
    const table = document.createElement("table");
    table.className = "heatmap";
    const head = table.insertRow();
    head.insertCell().textContent = "";
    for (const name of names) head.insertCell().textContent = name;
    for (const row of names) {
      const line = table.insertRow();
      line.insertCell().textContent = row;
      for (const column of names) {
        const cell = line.insertCell();
        if (row === column) {
          cell.textContent = data.sizes[row].toLocaleString();
          cell.style.background = "#e3e6ea";
        } else {
          const p = pair(row, column);
          cell.textContent = `${p.intersection.toLocaleString()} (${Math.round(p.jaccard * 100)}%)`;
          cell.style.background = `rgba(59, 111, 216, ${0.1 + 0.9 * p.jaccard})`;
          cell.dataset.intersection = p.intersection;
        }
      }
    }
    target.replaceChildren(table);
  });
  search.addEventListener("input", filter);
  tag.addEventListener("change", filter);
})();
