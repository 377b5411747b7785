// The builder page: a canvas over the definition document and a YAML pane, kept in sync through
// the API (the compiler parses, validates and writes; nothing of the language lives here beyond
// the keys and templates /api/schema offers).
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const loaded = JSON.parse(document.getElementById("loaded").textContent || "{}");
  const yamlPane = document.getElementById("yaml");
  const canvas = document.getElementById("canvas");
  const statusLine = document.getElementById("status");
  let schema = null;
  let documentState = null;
  let version = loaded.version || null;
  let savedName = loaded.name || null;
  let latest = 0; // only the newest answer of a kind is shown (stale ones are dropped)

  async function call(method, path, body) {
    const response = await fetch(path, {
      method,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json();
    return { ok: response.ok, status: response.status, data };
  }

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  // ------------------------------------------------------------------ sync

  let writeTimer = null;
  function changed() {
    if (loaded.has_comments) document.getElementById("comments-warning").hidden = false;
    render();
    clearTimeout(writeTimer);
    writeTimer = setTimeout(async () => {
      const mine = ++latest;
      const answer = await call("POST", "/api/write", { document: documentState });
      if (mine !== latest || !answer.ok) return;
      yamlPane.value = answer.data.yaml;
      showDiagnostics(answer.data.diagnostics);
    }, 150);
  }

  let parseTimer = null;
  yamlPane.addEventListener("input", () => {
    clearTimeout(parseTimer);
    parseTimer = setTimeout(async () => {
      const mine = ++latest;
      const answer = await call("POST", "/api/parse", { yaml: yamlPane.value });
      if (mine !== latest || !answer.ok) return;
      showDiagnostics(answer.data.diagnostics);
      if (answer.data.document) {
        documentState = answer.data.document;
        render();
      }
    }, 250);
  });

  function showDiagnostics(diagnostics) {
    const list = document.getElementById("diagnostics");
    list.replaceChildren(
      ...diagnostics.map((d) =>
        el("li", {
          class: d.severity,
          text: `line ${d.line}${d.key ? " (" + d.key + ")" : ""}: ${d.message}` +
            (d.suggestion ? ` (did you mean '${d.suggestion}'?)` : ""),
        })
      )
    );
    if (!diagnostics.length) list.append(el("li", { class: "ok", text: "valid" }));
  }

  // ------------------------------------------------------------------ canvas

  const CONTAINERS = ["all", "any"];
  function kindOf(condition) {
    return Object.keys(condition).find((key) => schema.kinds.includes(key));
  }
  function copy(value) {
    return JSON.parse(JSON.stringify(value));
  }

  function addMenu(label, options, onPick, testid) {
    const select = el("select", { "data-testid": testid, "aria-label": label },
      el("option", { value: "", text: label }));
    for (const option of options) select.append(el("option", { value: option, text: option }));
    select.addEventListener("change", () => {
      if (select.value) onPick(select.value);
    });
    return select;
  }

  function removeButton(onRemove, testid) {
    return el("button", { class: "remove", title: "remove", "data-testid": testid, onclick: onRemove, text: "×" });
  }

  function valueInput(value, onValue, testid) {
    if (typeof value === "boolean") {
      const box = el("input", { type: "checkbox", "data-testid": testid });
      box.checked = value;
      box.addEventListener("change", () => onValue(box.checked));
      return box;
    }
    const isList = Array.isArray(value);
    const input = el("input", { "data-testid": testid });
    input.value = isList ? value.join(", ") : value === null ? "" : String(value);
    input.addEventListener("change", () => {
      const text = input.value;
      const parse = (t) => (typeof value === "number" || (isList && value.every((v) => typeof v === "number"))) && t.trim() !== "" && !isNaN(Number(t)) ? Number(t) : t;
      onValue(isList ? text.split(",").map((t) => parse(t.trim())).filter((t) => t !== "") : parse(text));
    });
    return input;
  }

  // A mapping of keys: the kind key, operators (renamable), values and nested mappings.
  function mappingRows(mapping, context, path) {
    const rows = [];
    for (const key of Object.keys(mapping)) {
      const value = mapping[key];
      const testid = `${path}.${key}`;
      const keyLabel = schema.operators.includes(key) && !(schema.keys[context] || []).includes(key)
        ? (() => {
            const select = el("select", { class: "key", "data-testid": `${testid}:op` });
            for (const op of schema.operators) select.append(el("option", { value: op, text: op }));
            select.value = key;
            select.addEventListener("change", () => {
              const renamed = {};
              for (const k of Object.keys(mapping)) renamed[k === key ? select.value : k] = mapping[k];
              for (const k of Object.keys(mapping)) delete mapping[k];
              Object.assign(mapping, renamed);
              changed();
            });
            return select;
          })()
        : el("span", { class: "key", text: key });
      const optional = (schema.keys[context] || []).includes(key);
      let field;
      if (key === "steps" && Array.isArray(value)) {
        field = el("div", { class: "steps" });
        value.forEach((step, index) => {
          field.append(el("div", { class: "node step" },
            el("div", { class: "head", text: `step ${index + 1}` },
              value.length > 1 ? removeButton(() => { value.splice(index, 1); changed(); }, `${testid}.${index}:remove`) : null),
            ...mappingRows(step, "steps", `${testid}.${index}`)));
        });
        field.append(el("button", { "data-testid": `${testid}:add`, text: "+ step",
          onclick: () => { value.push(copy(schema.templates.step)); changed(); } }));
      } else if (value && typeof value === "object" && !Array.isArray(value)) {
        field = el("div", { class: "node" }, ...mappingRows(value, key, testid));
      } else {
        field = valueInput(value, (v) => { mapping[key] = v; changed(); }, testid);
      }
      rows.push(el("div", { class: "row" }, keyLabel, field,
        optional && Object.keys(mapping).length > 1 ? removeButton(() => { delete mapping[key]; changed(); }, `${testid}:remove`) : null));
    }
    const missing = (schema.keys[context] || []).filter((key) => !(key in mapping));
    if (missing.length) {
      rows.push(el("div", { class: "row" }, addMenu("+ key", missing, (key) => {
        const template = schema.templates.keys[key];
        mapping[key] = template === undefined ? "" : copy(template);
        changed();
      }, `${path}:add-key`)));
    }
    return rows;
  }

  function conditionNode(condition, path, onRemove, onReplace) {
    const kind = kindOf(condition);
    const remove = onRemove ? removeButton(onRemove, `${path}:remove`) : null;
    if (CONTAINERS.includes(kind)) {
      const items = condition[kind];
      const switcher = el("select", { "data-testid": `${path}:container` });
      for (const option of CONTAINERS) switcher.append(el("option", { value: option, text: option === "all" ? "all of (include)" : "any of" }));
      switcher.value = kind;
      switcher.addEventListener("change", () => { onReplace({ [switcher.value]: items }); });
      const box = el("div", { class: "node container", "data-kind": kind, "data-testid": `${path}:box` },
        el("div", { class: "head" }, switcher, remove));
      acceptDrops(box, items);
      items.forEach((item, index) => {
        box.append(conditionNode(item, `${path}.${index}`, () => { items.splice(index, 1); changed(); },
          (replacement) => { items[index] = replacement; changed(); }));
      });
      box.append(addMenu("+ condition", Object.keys(schema.templates.conditions), (name) => {
        items.push(copy(schema.templates.conditions[name]));
        changed();
      }, `${path}:add`));
      return box;
    }
    if (kind === "not") {
      return el("div", { class: "node not", "data-kind": "not" },
        el("div", { class: "head", text: "exclude (not) " }, remove),
        conditionNode(condition.not, `${path}.not`, null, (replacement) => { condition.not = replacement; changed(); }));
    }
    const rows = kind === "sequence"
      ? [el("div", { class: "head", text: "sequence" }, remove), ...mappingRows(condition.sequence, "sequence", `${path}.sequence`)]
      : [el("div", { class: "head", text: kind }, remove), ...mappingRows(condition, kind, path)];
    return el("div", { class: "node", "data-kind": kind }, ...rows);
  }

  function render() {
    const doc = documentState;
    const head = el("div", { class: "document" });
    for (const key of ["segment", "description", "owner"]) {
      head.append(el("div", { class: "row" }, el("span", { class: "key", text: key }),
        valueInput(doc[key] ?? "", (v) => { doc[key] = v; changed(); }, `doc.${key}`)));
    }
    head.append(el("div", { class: "row" }, el("span", { class: "key", text: "tags" }),
      valueInput(doc.tags ?? [], (v) => { doc.tags = v; if (!v.length) delete doc.tags; changed(); }, "doc.tags")));
    const condition = doc.condition && typeof doc.condition === "object"
      ? conditionNode(doc.condition, "c", null, (replacement) => { doc.condition = replacement; changed(); })
      : el("div", { class: "notice", text: "the condition is not a mapping: fix it in the YAML pane" });
    canvas.replaceChildren(head, el("h2", { text: "Condition" }), condition);
    document.getElementById("title").textContent = doc.segment || "New segment";
  }

  // ------------------------------------------------------------------ fields panel

  // Fields are dragged onto a container (or clicked: added to the top container).
  function fieldButton(testid, condition, label, title) {
    const button = el("button", { "data-testid": testid, draggable: "true", title: title || "",
      onclick: () => addToRoot(copy(condition)) }, ...label);
    button.addEventListener("dragstart", (event) => {
      event.dataTransfer.setData("application/x-segment-condition", JSON.stringify(condition));
      event.dataTransfer.effectAllowed = "copy";
    });
    return button;
  }

  function acceptDrops(box, items) {
    box.addEventListener("dragover", (event) => {
      if (event.dataTransfer.types.includes("application/x-segment-condition")) {
        event.preventDefault();
        event.stopPropagation();
        box.classList.add("drop-target");
      }
    });
    box.addEventListener("dragleave", () => box.classList.remove("drop-target"));
    box.addEventListener("drop", (event) => {
      const data = event.dataTransfer.getData("application/x-segment-condition");
      if (!data) return;
      event.preventDefault();
      event.stopPropagation();
      items.push(JSON.parse(data));
      changed();
    });
  }

  function addToRoot(condition) {
    const root = documentState.condition;
    const kind = root && kindOf(root);
    if (CONTAINERS.includes(kind)) root[kind].push(condition);
    else documentState.condition = { all: root ? [root, condition] : [condition] };
    changed();
  }

  function renderFields() {
    const panel = document.getElementById("fields");
    const section = (title, items) => [el("h3", { text: title }), ...items];
    const attribute = (a) => fieldButton(`field.attribute.${a.name}`,
      a.values.length ? { attribute: a.name, equals: a.values[0] } : { attribute: a.name, exists: true },
      [document.createTextNode(a.name + " "), el("span", { class: "type", text: a.type })],
      a.values.length ? "frequent: " + a.values.join(", ") : "");
    const event = (name) => fieldButton(`field.event.${name}`, { event: name, during: { last: "30d" } },
      [document.createTextNode(name)]);
    const segment = (name) => fieldButton(`field.segment.${name}`, { in_segment: name },
      [document.createTextNode(name)]);
    const model = (name) => fieldButton(`field.model.${name}`, { propensity: name, bucket: "high" },
      [document.createTextNode(name)]);
    panel.replaceChildren(
      ...section("Attributes", schema.attributes.map(attribute)),
      ...section("Events", schema.events.map(event)),
      ...section("Properties", schema.properties.map((p) => el("div", {}, document.createTextNode(p.name + " "), el("span", { class: "type", text: p.type })))),
      ...section("Segments", schema.segments.map(segment)),
      ...section("Propensity models", schema.models.map(model)),
    );
  }

  // ------------------------------------------------------------------ estimate, explain, save

  document.getElementById("estimate").addEventListener("click", async () => {
    const target = document.getElementById("estimate-result");
    target.textContent = "estimating…";
    const sample = document.getElementById("sample").value.trim();
    const answer = await call("POST", "/api/preview", {
      yaml: yamlPane.value, as_of: document.getElementById("as-of").value.trim() || null,
      sample: sample || null,
    });
    if (!answer.ok) {
      target.replaceChildren(el("div", { class: "notice", text: answer.data.error }));
      if (answer.data.diagnostics) showDiagnostics(answer.data.diagnostics);
      return;
    }
    const d = answer.data;
    const size = d.sampled
      ? `about ${d.size.toLocaleString()} profiles (95% CI ${d.ci_low.toLocaleString()} to ${d.ci_high.toLocaleString()})`
      : `${d.size.toLocaleString()} profiles`;
    const funnel = el("table", { class: "funnel", "data-testid": "funnel" });
    for (const node of d.nodes) {
      funnel.append(el("tr", { "data-node": node.id },
        el("td", { class: "n", text: (node.estimate ?? node.count).toLocaleString() }),
        el("td", { text: "\u00a0".repeat(node.depth * 4) + node.description })));
    }
    const members = el("div", { class: "members" }, document.createTextNode("sample members: "));
    for (const id of d.profiles) {
      members.append(el("button", { "data-testid": `member.${id}`, text: id, onclick: () => {
        document.getElementById("profile").value = id;
        document.getElementById("explain").click();
      } }));
    }
    target.replaceChildren(
      el("div", { class: "size", "data-testid": "size", "data-size": d.size, text: `${size} as of ${d.as_of}` }),
      funnel, members);
  });

  function explanationTree(node) {
    const mark = el("span", { class: node.holds ? "holds" : "fails", text: node.holds ? "\u2713 " : "\u2717 " });
    const item = el("li", { "data-holds": node.holds }, mark, document.createTextNode(node.description));
    if (node.observed && node.observed.text !== null) item.append(el("span", { class: "observed", text: `   [${node.observed.text}]` }));
    if (node.children) item.append(el("ul", {}, ...node.children.map(explanationTree)));
    return item;
  }

  document.getElementById("explain").addEventListener("click", async () => {
    const target = document.getElementById("explanation");
    const profile = document.getElementById("profile").value.trim();
    const answer = await call("POST", "/api/explain", {
      yaml: yamlPane.value, profile_id: profile, as_of: document.getElementById("as-of").value.trim() || null,
    });
    if (!answer.ok) {
      target.replaceChildren(el("div", { class: "notice", text: answer.data.error }));
      return;
    }
    const d = answer.data;
    const verdict = el("div", { "data-testid": "verdict", "data-member": d.member,
      text: `${d.profile_id} ${d.member ? "is a member" : "is not a member"}` + (d.evaluated ? "" : " (not evaluated at this as_of)") });
    const identities = d.identities ? el("div", { class: "identities", text: "identities: " + d.identities.map((i) => `${i.namespace}:${i.identity}`).join(", ") }) : null;
    target.replaceChildren(verdict, identities || "", d.condition ? el("ul", { class: "tree" }, explanationTree(d.condition)) : "");
  });

  document.getElementById("show-sql").addEventListener("click", async () => {
    const box = document.getElementById("sql");
    const answer = await call("POST", "/api/sql", { yaml: yamlPane.value, as_of: document.getElementById("as-of").value.trim() || null });
    box.hidden = false;
    box.querySelector("pre").textContent = answer.ok ? answer.data.sql : answer.data.error;
  });
  document.getElementById("copy-sql").addEventListener("click", () => {
    navigator.clipboard.writeText(document.querySelector("#sql pre").textContent);
  });

  document.getElementById("save").addEventListener("click", async () => {
    const name = documentState.segment;
    if (savedName && name !== savedName) version = null; // saved under a new name: a new file
    const answer = await call("PUT", `/api/segments/${encodeURIComponent(name || "")}`, { yaml: yamlPane.value, version });
    if (!answer.ok) {
      statusLine.textContent = answer.data.error;
      if (answer.data.diagnostics) showDiagnostics(answer.data.diagnostics);
      return;
    }
    version = answer.data.version;
    savedName = name;
    statusLine.textContent = `saved segments/${name}.yml` + (answer.data.generated ? " and generated its model: run dbt build" : "");
  });

  // ------------------------------------------------------------------ start

  (async function start() {
    const answer = await call("GET", "/api/schema");
    schema = answer.data;
    renderFields();
    if (loaded.yaml) {
      yamlPane.value = loaded.yaml;
      const parsed = await call("POST", "/api/parse", { yaml: loaded.yaml });
      documentState = parsed.data.document || { segment: loaded.name, description: "", condition: { all: [] } };
      showDiagnostics(parsed.data.diagnostics);
      render();
    } else {
      documentState = { segment: "", description: "", condition: { all: [] } };
      changed();
    }
  })();
})();
