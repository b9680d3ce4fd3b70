// Draws every <canvas data-chart="ID"> from the JSON data block with that id (never executed).
(function () {
  "use strict";
  var palette = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#4b5563"];

  function draw(canvas) {
    var block = document.getElementById(canvas.dataset.chart);
    if (!block || typeof Chart === "undefined") return;
    var spec = JSON.parse(block.textContent);
    var labels = spec.rows.map(function (r) { return r[0]; });
    var values = spec.rows.map(function (r) { return r[1]; });
    new Chart(canvas, {
      type: spec.kind,
      data: {
        labels: labels,
        datasets: [{
          label: spec.unit,
          data: values,
          backgroundColor: spec.kind === "line" ? "rgba(37, 99, 235, 0.15)" : labels.map(function (_, i) { return palette[i % palette.length]; }),
          borderColor: "#2563eb",
          fill: spec.kind === "line",
          tension: 0.2
        }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: spec.unit === "seconds" ? {} : { precision: 0 } } }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
