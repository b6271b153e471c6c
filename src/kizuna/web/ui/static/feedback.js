// Feedback, returns and warranties charts: each reads its page's JSON twin.
(function () {
  const COLORS = ["#b0413e", "#1f2430", "#2f7d4f", "#b45309", "#2563eb", "#7c3aed", "#0891b2",
    "#db2777", "#65a30d", "#6b7280", "#a16207"];
  const cache = {};
  const pageData = (url) => (cache[url] = cache[url] || fetch(url, { credentials: "same-origin" }).then((r) => r.json()));
  const yen = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en" : "ja-JP",
    { style: "currency", currency: "JPY", maximumFractionDigits: 0 });
  const done = (canvas) => { canvas.dataset.rendered = "true"; };

  async function scoreTrend(canvas, key, range) {
    const rows = (await pageData(canvas.dataset.json))[key];
    new Chart(canvas, {
      data: {
        labels: rows.map((r) => r.month),
        datasets: [
          { type: "line", label: canvas.dataset.labelScore, data: rows.map((r) => r.score), yAxisID: "y",
            borderColor: "#b0413e", backgroundColor: "#b0413e", cubicInterpolationMode: "monotone" },
          { type: "bar", label: canvas.dataset.labelAnswers, data: rows.map((r) => r.answered), yAxisID: "y1",
            backgroundColor: "rgba(31,36,48,.18)", maxBarThickness: 48 },
        ],
      },
      options: { animation: false, scales: { y: { min: range[0], max: range[1] },
        y1: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { precision: 0 } } } },
    });
    done(canvas);
  }

  async function questions(canvas) {
    const report = (await pageData(canvas.dataset.json)).report;
    const rows = report.questions.filter((q) => q.summary);
    const share = (q, k) => (q.summary.answered ? (100 * q.summary[k]) / q.summary.answered : 0);
    const set = (k, label, color) => ({ label, data: rows.map((q) => share(q, k)), backgroundColor: color });
    new Chart(canvas, {
      type: "bar",
      data: { labels: rows.map((q) => q.code),
        datasets: [set("satisfied", canvas.dataset.labelSatisfied, "#2f7d4f"),
          set("neutral", canvas.dataset.labelNeutral, "#d1d5db"),
          set("dissatisfied", canvas.dataset.labelDissatisfied, "#b0413e")] },
      options: { animation: false, indexAxis: "y",
        scales: { x: { stacked: true, max: 100, ticks: { callback: (v) => v + "%" } }, y: { stacked: true } },
        plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${c.parsed.x.toFixed(1)}%` } } } },
    });
    done(canvas);
  }

  async function ticketCategories(canvas) {
    const data = await pageData(canvas.dataset.json);
    const trend = data.ticket_categories;
    new Chart(canvas, {
      type: "bar",
      data: { labels: trend.months, datasets: Object.entries(trend.categories).map(([c, counts], i) => ({
        label: data.category_labels[c] || c, data: counts, backgroundColor: COLORS[i % COLORS.length],
        maxBarThickness: 64 })) },
      options: { animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    });
    done(canvas);
  }

  async function returnReasons(canvas) {
    const data = await pageData(canvas.dataset.json);
    const reasons = Object.entries(data.summary.by_reason);
    new Chart(canvas, {
      type: "bar",
      data: { labels: reasons.map(([r]) => data.reason_labels[r] || r),
        datasets: [{ label: canvas.dataset.label, data: reasons.map(([, n]) => n), backgroundColor: "rgba(176,65,62,.75)",
          maxBarThickness: 40 }] },
      options: { animation: false, indexAxis: "y", plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    done(canvas);
  }

  async function warrantyRevenue(canvas) {
    const months = (await pageData(canvas.dataset.json)).revenue.months;
    new Chart(canvas, {
      type: "bar",
      data: { labels: months.map((m) => m.month), datasets: [
        { label: canvas.dataset.labelRevenue, data: months.map((m) => m.revenue), backgroundColor: "rgba(47,125,79,.75)",
          maxBarThickness: 48 },
        { label: canvas.dataset.labelCost, data: months.map((m) => m.claim_cost), backgroundColor: "rgba(176,65,62,.75)",
          maxBarThickness: 48 }] },
      options: { animation: false, scales: { y: { ticks: { callback: (v) => yen.format(v) } } } },
    });
    done(canvas);
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!window.Chart) return;
    const run = (id, draw) => { const el = document.getElementById(id); if (el) draw(el); };
    run("nps-trend", (c) => scoreTrend(c, "nps_trend", [-100, 100]));
    run("csat-trend", (c) => scoreTrend(c, "csat_trend", [0, 100]));
    run("question-chart", questions);
    run("ticket-categories", ticketCategories);
    run("return-reasons", returnReasons);
    run("warranty-revenue", warrantyRevenue);
  });
})();
