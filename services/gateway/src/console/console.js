// 12345 console: a light touch of script, no framework. Pages work without it.
"use strict";

// Deadline countdowns: <span data-due="RFC 3339">.
function tick() {
  for (const el of document.querySelectorAll("[data-due]")) {
    const left = Date.parse(el.dataset.due) - Date.now();
    if (Number.isNaN(left)) continue;
    // Working days left (data-workdays) change at midnight: the server's words stand until
    // the clock runs out.
    if (el.dataset.workdays !== undefined && left >= 0) continue;
    const abs = Math.abs(left);
    const d = Math.floor(abs / 86400000);
    const h = Math.floor((abs % 86400000) / 3600000);
    const m = Math.floor((abs % 3600000) / 60000);
    // The same words as the server's (console/countdown.rs).
    const span = d > 0 ? `${d} 天 ${h} 小时` : `${h} 小时 ${m} 分`;
    el.textContent = left >= 0 ? `剩余 ${span}` : `已超期 ${span}`;
    el.classList.toggle("overdue", left < 0);
    el.classList.toggle("near", left >= 0 && left < 86400000);
  }
}

// The agent's intake form: knowledge suggestions and repeat warnings as the agent types.
function assist() {
  const form = document.querySelector("form[data-assist]");
  if (!form) return;
  const box = document.getElementById("assist");
  const csrf = form.querySelector("input[name=csrf_token]").value;
  let timer = null;
  const post = (url, body) =>
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    }).then((r) => (r.ok ? r.json() : null)).catch(() => null);
  const run = async () => {
    const text = form.matter.value.trim();
    const region = form.region_code.value.trim();
    if (text.length < 4 || region.length !== 6) return;
    const [tips, repeats] = await Promise.all([
      post("/api/v1/knowledge/suggest", { text, region_code: region }),
      form.phone.value.trim()
        ? post("/api/v1/repeat-candidates", { matter: text, region_code: region, phone: form.phone.value.trim() })
        : null,
    ]);
    box.replaceChildren();
    for (const s of (tips && tips.suggestions) || []) {
      const p = document.createElement("p");
      p.className = "suggest";
      p.textContent = `知识库：${s.title}`;
      box.append(p);
    }
    for (const c of Array.isArray(repeats) ? repeats : []) {
      const p = document.createElement("p");
      p.className = "problem";
      p.textContent = `可能重复：工单 ${c.number}${c.same_requester ? "（同一来电人）" : ""}`;
      box.append(p);
    }
  };
  form.matter.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, 400);
  });
}

// A file input with data-fills="<id>" reads the chosen file into that text box (the unit
// import on the administration page); the form then posts the text.
function fillFromFiles() {
  for (const input of document.querySelectorAll("input[type=file][data-fills]")) {
    input.addEventListener("change", async () => {
      const box = document.getElementById(input.dataset.fills);
      if (box && input.files.length) box.value = await input.files[0].text();
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  tick();
  setInterval(tick, 30000);
  assist();
  fillFromFiles();
});
