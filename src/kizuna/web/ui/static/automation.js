// Journeys and campaign builder: charts from the page's JSON twin, the builder's live audience
// count and its ja/en preview (both JSON endpoints). Without JS the forms still post.
(function () {
  async function getJson(url) {
    return (await fetch(url, { credentials: "same-origin" })).json();
  }

  async function funnel(canvas) {
    const data = await getJson(canvas.dataset.json);
    const steps = data.journey.steps;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: steps.map((s) => s.id),
        datasets: [{ label: canvas.dataset.label, data: steps.map((s) => s.reached),
          backgroundColor: steps.map((s) => (s.type === "action" ? "rgba(176,65,62,.8)" : "rgba(31,36,48,.45)")) }],
      },
      options: { animation: false, indexAxis: "y", plugins: { legend: { display: false },
        tooltip: { callbacks: { afterLabel: (ctx) => steps[ctx.dataIndex].label } } } },
    });
    canvas.dataset.rendered = "true";
  }

  async function upliftChart(canvas) {
    const data = await getJson(canvas.dataset.json);
    const c = data.journey.uplift.conversion_uplift;
    const pts = (v) => Math.round(v * 1000) / 10;
    new Chart(canvas, {
      data: {
        labels: [canvas.dataset.label],
        datasets: [
          { type: "bar", label: "95% CI", data: [[pts(c.low), pts(c.high)]], backgroundColor: "rgba(176,65,62,.35)", barThickness: 18 },
          { type: "scatter", label: "Δ", data: [{ x: pts(c.diff), y: canvas.dataset.label }], backgroundColor: "#1f2430", pointRadius: 6 },
        ],
      },
      options: { animation: false, indexAxis: "y", plugins: { legend: { display: false } },
        scales: { x: { ticks: { callback: (v) => v + " pt" }, suggestedMin: Math.min(0, pts(c.low)) - 1, suggestedMax: Math.max(0, pts(c.high)) + 1 } } },
    });
    canvas.dataset.rendered = "true";
  }

  function builder(form) {
    const count = document.getElementById("audience-count");
    const detail = document.getElementById("audience-detail");
    const preview = document.getElementById("preview");
    let timer = null;
    const latest = { count: 0, preview: 0 };  // answers can arrive out of order: keep the last

    async function post(url) {
      const response = await fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin" });
      return response.json();
    }

    async function refreshCount() {
      const mode = form.querySelector("input[name=audience_mode]:checked");
      if (mode && mode.value === "segment" && !form.elements.segment.value) {
        latest.count++;
        count.textContent = "—";
        detail.textContent = "";
        return;
      }
      count.textContent = "…";
      const mine = ++latest.count;
      const data = await post("/campaigns/audience.json");
      if (mine !== latest.count) return;
      if (data.error) {
        count.textContent = "—";
        detail.textContent = data.error.message;
        detail.className = "error";
      } else {
        count.textContent = data.members.toLocaleString();
        detail.className = "muted";
        detail.textContent = Object.entries(data.by_rank).map(([k, v]) => `${k || "-"} ${v.toLocaleString()}`).join(" · ")
          + ` (${(data.share * 100).toFixed(1)}%, ${data.seconds.toFixed(2)} s)`;
      }
      count.dataset.ready = "true";
    }

    async function refreshPreview() {
      const mine = ++latest.preview;
      const data = await post("/campaigns/preview.json");
      if (mine !== latest.preview) return;
      if (data.error) {
        preview.querySelectorAll(".preview-pane").forEach((pane) => { pane.textContent = data.error.message; });
        preview.dataset.ready = "true";
        return;
      }
      for (const language of ["ja", "en"]) {
        const pane = preview.querySelector(`.preview-pane[data-lang=${language}]`);
        pane.textContent = "";
        for (const [label, block] of Object.entries(data.blocks)) {
          const part = block[language];
          const subject = document.createElement("span");
          subject.className = "subject";
          subject.textContent = `[${label}] ` + (part.missing.length ? `missing: ${part.missing.join(", ")}` : part.subject);
          pane.appendChild(subject);
          pane.appendChild(document.createTextNode(part.text + "\n"));
        }
      }
      preview.dataset.ready = "true";
    }

    const audienceFields = ["segment", "definition", "audience_mode"];
    form.addEventListener("input", (event) => {
      clearTimeout(timer);
      const name = event.target.name;
      timer = setTimeout(() => (audienceFields.includes(name) ? refreshCount() : refreshPreview()), 400);
    });
    form.addEventListener("change", (event) => {
      if (audienceFields.includes(event.target.name)) refreshCount();
    });
    refreshCount();
    refreshPreview();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("campaign-builder");
    if (form) builder(form);
    if (!window.Chart) return;
    const f = document.getElementById("journey-funnel");
    if (f) funnel(f);
    const u = document.getElementById("journey-uplift");
    if (u) upliftChart(u);
  });
})();
