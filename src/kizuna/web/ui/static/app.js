// Charts read the page's JSON twin (the same data a developer gets from /path.json).
(function () {
  const yen = (currency) => new Intl.NumberFormat(document.documentElement.lang === "en" ? "en" : "ja-JP",
    { style: "currency", currency: currency || "JPY", maximumFractionDigits: currency === "JPY" ? 0 : 2 });
  const minorDigits = (currency) => (["JPY", "KRW"].includes(currency) ? 0 : 2);

  async function salesChart(canvas) {
    const data = await (await fetch(canvas.dataset.json, { credentials: "same-origin" })).json();
    const currency = canvas.dataset.currency;
    const scale = Math.pow(10, minorDigits(currency));
    const fmt = yen(currency);
    new Chart(canvas, {
      data: {
        labels: data.months.map((m) => m.month),
        datasets: [
          { type: "bar", label: canvas.dataset.labelRevenue, data: data.months.map((m) => m.revenue / scale),
            backgroundColor: "rgba(176,65,62,.75)", yAxisID: "y" },
          { type: "line", label: canvas.dataset.labelRepeat, data: data.months.map((m) => m.repeat_rate * 100),
            borderColor: "#1f2430", backgroundColor: "#1f2430", yAxisID: "y1", tension: 0.25 },
        ],
      },
      options: {
        animation: false,
        scales: {
          y: { ticks: { callback: (v) => fmt.format(v) } },
          y1: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, ticks: { callback: (v) => v + "%" } },
        },
        plugins: { tooltip: { callbacks: { label: (ctx) => ctx.dataset.yAxisID === "y"
          ? `${ctx.dataset.label}: ${fmt.format(ctx.parsed.y)}` : `${ctx.dataset.label}: ${ctx.parsed.y.toFixed(1)}%` } } },
      },
    });
    canvas.dataset.rendered = "true";
  }

  async function pageData(canvas) {
    return (await fetch(canvas.dataset.json, { credentials: "same-origin" })).json();
  }

  async function clvTracking(canvas) {
    const data = await pageData(canvas);
    const fit = data.fits.find((f) => f.tracking);
    if (!fit) return;
    const tr = fit.tracking;
    const calibration = tr.calibration_periods;
    new Chart(canvas, {
      type: "line",
      data: {
        labels: tr.period,
        datasets: [
          { label: canvas.dataset.labelActual, data: tr.actual_cumulative, borderColor: "#1f2430", pointRadius: 0 },
          { label: canvas.dataset.labelPredicted, data: tr.predicted_cumulative, borderColor: "#b0413e",
            borderDash: [6, 4], pointRadius: 0 },
        ],
      },
      options: {
        animation: false,
        plugins: { tooltip: { mode: "index", intersect: false },
          subtitle: { display: true, text: `${canvas.dataset.labelCalibration}: ${tr.time_unit} ${calibration}` } },
        scales: { x: { ticks: { maxTicksLimit: 12 } } },
      },
    });
    canvas.dataset.rendered = "true";
  }

  async function histogram(canvas, key, money) {
    const data = await pageData(canvas);
    const bins = data[key];
    const currency = canvas.dataset.currency || "JPY";
    const scale = Math.pow(10, minorDigits(currency));
    const fmt = money ? yen(currency) : null;
    const label = (b) => money ? `${fmt.format(b.low / scale)}–` : `${Math.round(b.low * 100)}–${Math.round(b.high * 100)}%`;
    new Chart(canvas, {
      type: "bar",
      data: { labels: bins.map(label), datasets: [{ label: canvas.dataset.label, data: bins.map((b) => b.customers),
        backgroundColor: "rgba(176,65,62,.75)" }] },
      options: { animation: false, plugins: { legend: { display: false } } },
    });
    canvas.dataset.rendered = "true";
  }

  async function recommendChart(canvas) {
    const data = await pageData(canvas);
    const rows = data.evaluation.all_purchases;
    new Chart(canvas, {
      type: "bar",
      data: { labels: rows.map((r) => r.method), datasets: [{ label: canvas.dataset.label,
        data: rows.map((r) => r.recall),
        backgroundColor: rows.map((r) => (r.method === "for_you" ? "rgba(176,65,62,.85)" : "rgba(31,36,48,.45)")) }] },
      options: { animation: false, indexAxis: "y", plugins: { legend: { display: false } } },
    });
    canvas.dataset.rendered = "true";
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!window.Chart) return;
    const canvas = document.getElementById("sales-chart");
    if (canvas) salesChart(canvas);
    const tracking = document.getElementById("clv-tracking");
    if (tracking) clvTracking(tracking);
    const alive = document.getElementById("clv-alive");
    if (alive) histogram(alive, "p_alive_histogram", false);
    const rec = document.getElementById("recommend-chart");
    if (rec) recommendChart(rec);
    const values = document.getElementById("clv-values");
    if (values) histogram(values, "clv_histogram", true);
  });
})();
