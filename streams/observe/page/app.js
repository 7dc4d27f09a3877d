// The trendwatch page: polls the HTTP API and redraws. No framework, no build step.
"use strict";

const POLL_MS = 2000;
const CHARTS = 12;
const SIZE_MS = { s: 1e3, m: 6e4, h: 36e5, d: 864e5 };

function sizeMs(size) {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(size || "");
  return m ? Number(m[1]) * (m[2] === "ms" ? 1 : SIZE_MS[m[2]]) : Infinity;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}

function utc(ms) {
  return ms < 0 ? "–" : new Date(ms).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

function num(x, digits = 1) {
  if (x === undefined || x === null) return "–";
  const a = Math.abs(x);
  if (a >= 1e9) return (x / 1e9).toFixed(digits) + " G";
  if (a >= 1e6) return (x / 1e6).toFixed(digits) + " M";
  if (a >= 1e4) return (x / 1e3).toFixed(digits) + " k";
  return Number.isInteger(x) ? String(x) : x.toFixed(digits);
}

async function getJson(path) {
  const response = await fetch(path, { cache: "no-store" });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function chart(windows) {
  const svgNs = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNs, "svg");
  svg.setAttribute("viewBox", "0 0 240 70");
  svg.setAttribute("preserveAspectRatio", "none");
  if (!windows.length) return svg;
  const top = Math.max(1, ...windows.map(w => Math.max(w.posts, w.expected)));
  const slots = Math.max(windows.length, 24);  // a short history stays narrow, on the right
  const step = 240 / slots, left = (slots - windows.length) * step;
  const y = v => 68 - (v / top) * 64;
  windows.forEach((w, i) => {
    const bar = document.createElementNS(svgNs, "rect");
    bar.setAttribute("x", (left + i * step + 0.5).toFixed(1));
    bar.setAttribute("width", Math.max(step - 1, 0.5).toFixed(1));
    bar.setAttribute("y", y(w.posts).toFixed(1));
    bar.setAttribute("height", (68 - y(w.posts)).toFixed(1));
    bar.setAttribute("fill", w.hot ? "#d9480f" : "#4263eb");
    bar.append(Object.assign(document.createElementNS(svgNs, "title"),
      { textContent: `${utc(w.window_start)}: ${w.posts} posts, ${w.expected} expected, score ${w.score}` }));
    svg.append(bar);
  });
  const line = document.createElementNS(svgNs, "polyline");
  line.setAttribute("points", windows.map((w, i) => `${(left + i * step + step / 2).toFixed(1)},${y(w.expected).toFixed(1)}`).join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "#868e96");
  line.setAttribute("stroke-width", "1.5");
  svg.append(line);
  return svg;
}

function fastest(windows) {
  const sizes = Object.keys(windows || {}).sort((a, b) => sizeMs(a) - sizeMs(b));
  return sizes.length ? { size: sizes[0], points: windows[sizes[0]] } : { size: "", points: [] };
}

function card(trend, detail) {
  const episode = trend.episode;
  const { size, points } = fastest(detail && detail.windows);
  const title = el("h3", {}, el("span", { class: "tag" }, "#" + trend.hashtag),
    el("span", {}, "score " + num(trend.score, 2)));
  const numbers = el("p", { class: "numbers" },
    `${num(trend.posts)} posts in ${trend.size || "?"} vs ${num(trend.expected)} expected · ` +
    `growth ×${num(trend.growth)} · ${num(trend.unique_authors)} authors` + (size ? ` · chart: ${size}` : ""));
  return el("div", { class: "card " + (episode ? episode.kind : ""), "data-hashtag": trend.hashtag },
    title, numbers, chart(points));
}

function alertItem(trend) {
  const e = trend.episode;
  const reach = e.projected_views ? ` · on track for ${num(e.projected_views)} views in ${e.projection_horizon_h} h` : "";
  const related = e.related && e.related.length ? ` · with ${e.related.map(t => "#" + t).join(" ")}` : "";
  return el("li", { class: e.kind, "data-hashtag": trend.hashtag },
    el("span", { class: "badge " + e.kind }, `${e.kind} · ${e.state}`),
    el("span", { class: "tag" }, "#" + trend.hashtag), ` since ${utc(e.since)}: `,
    el("span", { class: "reason" }, e.reason + reach + related));
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const { clock, trends } = await getJson(`/api/trends?limit=${CHARTS}`);
    const shown = trends.slice(0, CHARTS + 8);
    const details = await Promise.all(shown.map(t =>
      getJson("/api/trends/" + encodeURIComponent(t.hashtag)).catch(() => null)));
    const active = trends.filter(t => t.episode);
    document.getElementById("alerts").replaceChildren(
      ...(active.length ? active.map(alertItem) : [el("li", { class: "empty" }, "none at the moment")]));
    document.getElementById("trends").replaceChildren(...shown.map((t, i) => card(t, details[i])));
    const updates = Number(status.dataset.updates) + 1;
    status.dataset.updates = String(updates);
    status.dataset.clock = String(clock);
    status.className = "";
    status.textContent = `event time ${utc(clock)} · ${active.length} active alerts · ` +
      `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    status.className = "error";
    status.textContent = `cannot read the API: ${error.message} (retrying)`;
  }
}

refresh();
setInterval(refresh, POLL_MS);
