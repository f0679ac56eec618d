(function () {
  "use strict";
  var pairs = Array.prototype.slice.call(document.querySelectorAll("section.pair"));
  var links = Array.prototype.slice.call(document.querySelectorAll("button.goto"));
  var store = document.body.getAttribute("data-store");
  var words = { match: "match", non_match: "not a match", skip: "skipped" };
  var labels = {};
  try {
    labels = JSON.parse(window.localStorage.getItem(store) || "{}") || {};
  } catch (error) {
    labels = {};
  }
  var current = 0;

  function save() {
    try {
      window.localStorage.setItem(store, JSON.stringify(labels));
    } catch (error) {
      /* storage full or disabled: the labels live until the page is closed */
    }
  }

  function key(section) {
    return section.getAttribute("data-key");
  }

  function refresh() {
    var done = 0, matches = 0, non = 0, skipped = 0;
    pairs.forEach(function (section, index) {
      var label = labels[key(section)] || "";
      if (label === "match") { matches += 1; }
      if (label === "non_match") { non += 1; }
      if (label === "skip") { skipped += 1; }
      var state = section.querySelector(".state");
      state.setAttribute("data-state", label);
      state.textContent = label ? "labelled: " + words[label] : "not labelled";
      if (label) { links[index].setAttribute("data-mark", label); } else { links[index].removeAttribute("data-mark"); }
    });
    done = matches + non;
    document.getElementById("progress").textContent = done + " of " + pairs.length + " labelled";
    document.getElementById("progress-bar").value = done;
    document.getElementById("counts").textContent =
      matches + " match, " + non + " not a match, " + skipped + " skipped";
  }

  function show(index) {
    if (!pairs.length) { return; }
    current = Math.max(0, Math.min(pairs.length - 1, index));
    pairs.forEach(function (section, k) { section.hidden = k !== current; });
    links.forEach(function (link, k) {
      if (k === current) { link.setAttribute("aria-current", "true"); } else { link.removeAttribute("aria-current"); }
    });
    links[current].scrollIntoView({ block: "nearest" });
  }

  function label(value) {
    if (!pairs.length) { return; }
    if (value) { labels[key(pairs[current])] = value; } else { delete labels[key(pairs[current])]; }
    save();
    refresh();
    if (value) { show(current + 1); }
  }

  function cell(text) {
    var value = String(text);
    if (/^[=+\-@\t\r]/.test(value)) { value = "'" + value; }
    return /[",\r\n]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value;
  }

  function exportLabels() {
    var lines = ["entity,id_a,id_b,label,match_probability,band"];
    pairs.forEach(function (section) {
      var value = labels[key(section)];
      if (value !== "match" && value !== "non_match") { return; }
      lines.push([
        section.getAttribute("data-entity"), section.getAttribute("data-a"), section.getAttribute("data-b"),
        value, section.getAttribute("data-probability"), section.getAttribute("data-band")
      ].map(cell).join(","));
    });
    var blob = new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "labels.csv";
    document.body.appendChild(link);
    link.click();
    document.body.removeChild(link);
    window.setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) { return; }
    switch (event.key) {
      case "m": label("match"); break;
      case "n": label("non_match"); break;
      case "s": label("skip"); break;
      case "u": label(""); break;
      case "ArrowRight": case "ArrowDown": case "j": show(current + 1); break;
      case "ArrowLeft": case "ArrowUp": case "k": show(current - 1); break;
      default: return;
    }
    event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button") : null;
    if (!button) { return; }
    if (button.id === "export") { exportLabels(); return; }
    if (button.classList.contains("goto")) { show(Number(button.getAttribute("data-index"))); return; }
    var value = button.getAttribute("data-label");
    if (value) { label(value); }
  });

  refresh();
  var first = pairs.findIndex(function (section) { return !labels[key(section)]; });
  show(first < 0 ? 0 : first);
}());
