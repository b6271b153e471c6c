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

  document.addEventListener("DOMContentLoaded", () => {
    const canvas = document.getElementById("sales-chart");
    if (canvas && window.Chart) salesChart(canvas);
  });
})();
