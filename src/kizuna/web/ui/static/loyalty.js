// Loyalty page charts, drawn from the page's JSON twin (/loyalty.json).
(function () {
  const COLOURS = ["#9ca3af", "#c9a227", "#1f2430", "#b0413e", "#3b82f6", "#6b7280"];

  async function pageData(canvas) {
    return (await fetch(canvas.dataset.json, { credentials: "same-origin" })).json();
  }

  function done(canvas) { canvas.dataset.rendered = "true"; }

  function liability(canvas, data) {
    const rows = data.liability.by_expiry_month;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: rows.map((r) => (r.month === "never" ? canvas.dataset.never : r.month)),
        datasets: [{ label: canvas.dataset.label, data: rows.map((r) => r.points),
          backgroundColor: "rgba(176,65,62,.75)" }],
      },
      options: { animation: false, scales: { y: { ticks: { precision: 0 } } },
        plugins: { legend: { display: false } } },
    });
    done(canvas);
  }

  function stages(canvas, data) {
    const lang = canvas.dataset.lang;
    const labels = data.stages.map((s) => s[lang]);
    const values = data.stages.map((s) => data.distribution[s.code] || 0);
    if (data.distribution.unevaluated) {
      labels.push(canvas.dataset.unevaluated);
      values.push(data.distribution.unevaluated);
    }
    new Chart(canvas, {
      type: "bar",
      data: { labels, datasets: [{ label: canvas.dataset.label, data: values,
        backgroundColor: labels.map((_, i) => COLOURS[i % COLOURS.length]) }] },
      options: { animation: false, indexAxis: "y", scales: { x: { ticks: { precision: 0 } } },
        plugins: { legend: { display: false } } },
    });
    done(canvas);
  }

  function benefits(canvas, data) {
    const lang = canvas.dataset.lang;
    const months = data.benefit_cost_by_month;
    const yen = new Intl.NumberFormat(lang === "en" ? "en" : "ja-JP",
      { style: "currency", currency: "JPY", maximumFractionDigits: 0 });
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: months.map((m) => m.month),
        datasets: data.stages.map((s, i) => ({ label: s[lang], data: months.map((m) => m.by_stage[s.code] || 0),
          backgroundColor: COLOURS[i % COLOURS.length] })),
      },
      options: {
        animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, ticks: { callback: (v) => yen.format(v) } } },
        plugins: { tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${yen.format(ctx.parsed.y)}` } } },
      },
    });
    done(canvas);
  }

  document.addEventListener("DOMContentLoaded", async () => {
    if (!window.Chart) return;
    const canvases = [["loyalty-liability", liability], ["loyalty-stages", stages], ["loyalty-benefits", benefits]]
      .map(([id, draw]) => [document.getElementById(id), draw]).filter(([el]) => el);
    if (!canvases.length) return;
    const data = await pageData(canvases[0][0]);
    for (const [canvas, draw] of canvases) draw(canvas, data);
  });
})();
