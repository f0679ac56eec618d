() => {
  const vw = document.documentElement.clientWidth;
  const problems = [];
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "");
  const path = (e) => { const p = []; for (let x = e; x && x !== document.body && p.length < 4; x = x.parentElement) p.unshift(name(x)); return p.join(" > "); };
  if (document.documentElement.scrollWidth > vw) problems.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${vw}`);
  for (const e of document.querySelectorAll("body *")) {
    const style = getComputedStyle(e);
    if (style.display === "none" || e.closest("details:not([open]) > :not(summary)")) continue;
    const box = e.getBoundingClientRect();
    if (!box.width) continue;
    // outside the page on the right, unless inside a box that scrolls sideways
    if (box.right > vw + 1 && !e.parentElement.closest(".scroll, nav")) problems.push(`overflows the page: ${path(e)} (right ${Math.round(box.right)} > ${vw})`);
    // text cut off by a box that hides what does not fit
    const clips = ["hidden", "clip"].includes(style.overflowX) || style.textOverflow === "ellipsis";
    if (clips && !e.classList.contains("sr") && e.scrollWidth > e.clientWidth + 1) problems.push(`clipped: ${path(e)} (${e.scrollWidth} > ${e.clientWidth})`);
    // content spilling out of its table cell into the next one
    if ((e.tagName === "TD" || e.tagName === "TH") && e.scrollWidth > e.clientWidth + 1) problems.push(`spills out of its cell: ${path(e)} "${e.innerText.slice(0, 40)}"`);
  }
  // a figure never wraps: each number cell's text is one line (a <br> starts a second value deliberately)
  for (const td of document.querySelectorAll("td.num:not(.figs)")) {
    if (td.closest("details:not([open]) > :not(summary)") || !td.getBoundingClientRect().width) continue;
    for (const node of td.childNodes) {
      const range = document.createRange(); range.selectNodeContents(node);
      const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      if (tops.size > 1) { problems.push(`figure wraps: ${path(td)} "${td.innerText}"`); break; }
    }
  }
  const scrolling = [...document.querySelectorAll(".scroll")].filter((s) => s.getBoundingClientRect().width && !s.closest("details:not([open]) > :not(summary)") && s.scrollWidth > s.clientWidth + 1).map((s) => ({ where: path(s.closest("section") || s), by: s.scrollWidth - s.clientWidth }));
  const overview = document.querySelector("#overview");
  const bottom = overview ? overview.getBoundingClientRect().bottom + window.scrollY : null;
  return { problems, scrolling, overviewBottom: bottom };
}
