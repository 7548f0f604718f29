// Dashboard charts. Loaded as an ES module after the vendored Chart.js UMD build (which sets the
// global `Chart`). The data comes from a <script type="application/json" id="dashboard-charts">
// block written by Django's json_script: data, not code, so the page's CSP (script-src 'self')
// is kept. Every chart repeats a table on the page, which is the accessible version.
//
// Readable without colour: each series has its own line dash and point shape, bar series get
// different fill patterns, and each line's name is written at its last point when the chart is
// wide enough; on a narrow screen (WCAG 1.4.10 Reflow) the names are only in the legend below
// the plot, so the plot keeps the whole width.

const Chart = window.Chart;

// Lines are labelled at their ends only when the names take at most this share of the width
// (the legend below the plot names them anyway).
const DIRECT_LABEL_MAX_SHARE = 0.3;
const LABEL_FONT = "14px arial, sans-serif";
const LABEL_GAP = 10;
const LABEL_LINE_HEIGHT = 18;

const SERIES_STYLES = [
  { colour: "#1d70b8", dash: [], point: "circle", pattern: "solid" },
  { colour: "#d4351c", dash: [10, 5], point: "triangle", pattern: "stripes" },
  { colour: "#00703c", dash: [3, 3], point: "rectRot", pattern: "dots" },
];

function fillPattern(colour, kind) {
  if (kind === "solid") {
    return colour;
  }
  const size = 10;
  const canvas = document.createElement("canvas");
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, size, size);
  ctx.strokeStyle = colour;
  ctx.fillStyle = colour;
  if (kind === "stripes") {
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.moveTo(0, size);
    ctx.lineTo(size, 0);
    ctx.stroke();
  } else {
    ctx.beginPath();
    ctx.arc(size / 2, size / 2, 2.5, 0, 2 * Math.PI);
    ctx.fill();
  }
  return ctx.createPattern(canvas, "repeat");
}

// The width the line names need to the right of the plot, or 0 when they are not drawn.
function directLabelSpace(chart) {
  if (chart.config.type !== "line") {
    return 0;
  }
  const { ctx } = chart;
  ctx.save();
  ctx.font = LABEL_FONT;
  const widest = Math.max(0, ...chart.data.datasets.map((dataset) => ctx.measureText(dataset.label).width));
  ctx.restore();
  const space = Math.ceil(widest) + 2 * LABEL_GAP;
  return space <= chart.width * DIRECT_LABEL_MAX_SHARE ? space : 0;
}

function directlyLabelled(chart) {
  return directLabelSpace(chart) > 0;
}

// Write each line's name beside its last data point (direct labelling), moving names apart
// when the lines end close together so no two overlap.
const directLabels = {
  id: "appDirectLabels",
  afterDatasetsDraw(chart) {
    if (!directlyLabelled(chart)) {
      return;
    }
    const labels = [];
    chart.data.datasets.forEach((dataset, index) => {
      const meta = chart.getDatasetMeta(index);
      if (meta.hidden) {
        return;
      }
      for (let i = dataset.data.length - 1; i >= 0; i -= 1) {
        if (dataset.data[i] !== null && dataset.data[i] !== undefined) {
          const point = meta.data[i];
          labels.push({ text: dataset.label, y: point.y });
          break;
        }
      }
    });
    labels.sort((a, b) => a.y - b.y);
    for (let i = 1; i < labels.length; i += 1) {
      labels[i].y = Math.max(labels[i].y, labels[i - 1].y + LABEL_LINE_HEIGHT);
    }
    // Names line up just right of the plot, at the height of each line's last point.
    const x = chart.chartArea.right + LABEL_GAP;
    const { ctx } = chart;
    ctx.save();
    ctx.font = LABEL_FONT;
    ctx.textBaseline = "middle";
    ctx.fillStyle = "#0b0c0c";
    labels.forEach((label) => ctx.fillText(label.text, x, label.y));
    ctx.restore();
  },
};

// Money arrives in pounds (the page's tables show pence); written "£12,345".
const POUNDS = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP", maximumFractionDigits: 0 });

function formatValue(value, unit) {
  if (unit === "percent") {
    return `${value}%`;
  }
  if (unit === "money") {
    return POUNDS.format(value);
  }
  if (unit === "days") {
    return `${value} days`;
  }
  return value;
}

function buildChart(canvas, spec) {
  const percent = spec.unit === "percent";
  const datasets = spec.series.map((series, index) => {
    const style = SERIES_STYLES[index % SERIES_STYLES.length];
    if (spec.kind === "bar") {
      return {
        label: series.label,
        data: series.data,
        backgroundColor: fillPattern(style.colour, style.pattern),
        borderColor: style.colour,
        borderWidth: 2,
      };
    }
    return {
      label: series.label,
      data: series.data,
      borderColor: style.colour,
      backgroundColor: style.colour,
      borderDash: style.dash,
      pointStyle: style.point,
      pointRadius: 5,
      borderWidth: 3,
      spanGaps: false,
    };
  });
  return new Chart(canvas, {
    type: spec.kind,
    data: { labels: spec.labels, datasets },
    plugins: [directLabels],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      layout: { padding: (context) => ({ right: directLabelSpace(context.chart) }) },
      plugins: {
        legend: { position: "bottom", labels: { usePointStyle: spec.kind === "line", font: { size: 14 } } },
        tooltip: {
          callbacks: {
            label: (item) =>
              `${item.dataset.label}: ${item.raw === null ? "no data" : formatValue(item.raw, spec.unit)}`,
          },
        },
      },
      scales: {
        y: {
          beginAtZero: true,
          suggestedMax: percent ? 100 : undefined,
          ticks: {
            callback: (value) => formatValue(value, spec.unit),
            precision: percent || spec.unit === "days" ? 1 : 0,
          },
        },
      },
    },
  });
}

function init() {
  const source = document.getElementById("dashboard-charts");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  // The range's month labels are written once ("months"); a chart over them says "labels": "months".
  const data = JSON.parse(source.textContent);
  const specs = data.charts.map((spec) => (spec.labels === "months" ? { ...spec, labels: data.months } : spec));
  const byId = new Map(specs.map((spec) => [spec.id, spec]));
  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const spec = byId.get(canvas.dataset.chart);
    if (spec) {
      buildChart(canvas, spec);
    }
  });
}

init();
