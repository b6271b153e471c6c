// Analytics pages: the rank and funnel charts read the page's JSON twin; the segment builder
// posts the edited document to /segments/count.json for a live count and sample members.
(function () {
  const fetchJson = async (url) => (await fetch(url, { credentials: "same-origin" })).json();
  const pct = (x) => (x === null || x === undefined ? "—" : (x * 100).toFixed(1) + "%");
  const num = (n) => new Intl.NumberFormat(document.documentElement.lang === "en" ? "en" : "ja-JP").format(n);

  async function rankChart(canvas) {
    const data = await fetchJson(canvas.dataset.json);
    const ja = canvas.dataset.lang === "ja";
    const rows = data.distribution;
    new Chart(canvas, {
      data: {
        labels: rows.map((r) => (ja ? r.label_ja : r.label_en)),
        datasets: [
          { type: "bar", label: canvas.dataset.labelCustomers, data: rows.map((r) => r.customers),
            backgroundColor: "rgba(176,65,62,.75)", yAxisID: "y" },
          { type: "line", label: canvas.dataset.labelRevenue, data: rows.map((r) => r.revenue_share * 100),
            borderColor: "#1f2430", backgroundColor: "#1f2430", yAxisID: "y1", tension: 0.2 },
        ],
      },
      options: {
        animation: false,
        scales: { y1: { position: "right", min: 0, grid: { drawOnChartArea: false }, ticks: { callback: (v) => v + "%" } } },
      },
    });
    canvas.dataset.rendered = "true";
  }

  async function funnelChart(canvas) {
    const data = await fetchJson(canvas.dataset.json);
    const keys = ["visitors", "leads", "hot_leads", "converted_leads", "new_customers"];
    const colours = ["#cbd5e1", "#94a3b8", "#e2a19f", "#c0625f", "#b0413e"];
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.months.map((m) => m.month),
        datasets: keys.map((key, i) => ({
          label: canvas.dataset["label" + key.split("_").map((w) => w[0].toUpperCase() + w.slice(1)).join("")],
          data: data.months.map((m) => m[key]), backgroundColor: colours[i],
        })),
      },
      options: { animation: false, plugins: { tooltip: { mode: "index", intersect: false } } },
    });
    canvas.dataset.rendered = "true";
  }

  function segmentBuilder(textarea) {
    const out = {
      count: document.getElementById("live-count"), share: document.getElementById("live-share"),
      error: document.getElementById("live-error"), labels: document.getElementById("live-labels"),
      ranks: document.getElementById("live-ranks"), sample: document.querySelector("#live-sample tbody"),
    };
    const rankLabels = JSON.parse(textarea.dataset.rankLabels || "{}");
    const rankName = (rank) => rankLabels[rank] || rank;
    const currency = document.getElementById("live-sample").dataset.currency || "JPY";
    const minor = ["JPY", "KRW"].includes(currency) ? 1 : 100; // amounts are in minor units
    const yen = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en" : "ja-JP",
      { style: "currency", currency, maximumFractionDigits: minor === 1 ? 0 : 2 });
    const money = { format: (amount) => yen.format(amount / minor) };
    let timer = null;
    let asked = 0;
    async function refresh() {
      let doc;
      try {
        doc = JSON.parse(textarea.value);
      } catch (e) {
        out.error.textContent = e.message;
        out.error.hidden = false;
        return;
      }
      const ticket = ++asked;
      const response = await fetch(textarea.dataset.countUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(doc),
      });
      const data = await response.json();
      if (ticket !== asked) return; // a newer edit is on its way
      if (data.error) {
        out.error.textContent = data.error.message + (data.error.field ? ` (${data.error.field})` : "");
        out.error.hidden = false;
        textarea.dataset.state = "error";
        return;
      }
      out.error.hidden = true;
      out.count.textContent = num(data.members);
      out.share.textContent = `/ ${num(data.customers)} (${pct(data.share)}) · ${data.seconds.toFixed(2)} s`;
      out.labels.replaceChildren(...data.labels.map((line) => {
        const li = document.createElement("li");
        li.textContent = line.replace(/^ +/, (s) => "\u00a0".repeat(s.length * 2));
        return li;
      }));
      out.ranks.replaceChildren(...Object.entries(data.by_rank).map(([rank, n]) => {
        const span = document.createElement("span");
        span.className = "chip";
        span.textContent = `${rankName(rank)}: ${num(n)}`;
        return span;
      }));
      out.sample.replaceChildren(...data.sample.map((m) => {
        const tr = document.createElement("tr");
        const cells = [m.customer_id, rankName(m.rank), num(m.orders), money.format(m.spend_12m || 0), m.recency_days ?? "—"];
        cells.forEach((value, i) => {
          const td = document.createElement("td");
          if (i === 0) {
            const a = document.createElement("a");
            a.href = `/customers/${m.customer_id}`;
            a.textContent = value;
            td.appendChild(a);
          } else td.textContent = value;
          if (i > 1) td.className = "num";
          tr.appendChild(td);
        });
        return tr;
      }));
      textarea.dataset.state = "counted";
    }
    textarea.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
    document.querySelectorAll("button.chip[data-example]").forEach((button) => {
      button.addEventListener("click", () => {
        let doc;
        try {
          doc = JSON.parse(textarea.value);
        } catch (e) {
          doc = { name: "segment", where: { type: "all", of: [] } };
        }
        const example = JSON.parse(button.dataset.example);
        if (!doc.where || doc.where.type !== "all") doc.where = { type: "all", of: doc.where ? [doc.where] : [] };
        doc.where.of.push(example);
        textarea.value = JSON.stringify(doc, null, 2);
        refresh();
      });
    });
    refresh();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const ranks = document.getElementById("rank-chart");
    if (ranks && window.Chart) rankChart(ranks);
    const funnel = document.getElementById("funnel-chart");
    if (funnel && window.Chart) funnelChart(funnel);
    const doc = document.getElementById("segment-doc");
    if (doc) segmentBuilder(doc);
  });
})();
