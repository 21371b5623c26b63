// YL Monitor dashboard: polls the JSON API and redraws; no page reloads, no external assets.
"use strict";
(function () {
  const body = document.body;
  const refreshMs = parseInt(body.dataset.refreshMs, 10) || 2000;
  let apiKey = sessionStorage.getItem("ylApiKey") || "";
  const $ = (id) => document.getElementById(id);

  function headers(extra) {
    const h = Object.assign({ "Accept": "application/json" }, extra || {});
    if (apiKey) h["X-API-Key"] = apiKey;
    return h;
  }

  async function api(path, options) {
    const resp = await fetch(path, Object.assign({ headers: headers(options && options.headers) }, options));
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; }
    if (resp.status === 401) { $("key-form").hidden = false; }
    if (!resp.ok) {
      const msg = data && data.message ? data.message : resp.status + " " + resp.statusText;
      throw new Error(msg);
    }
    return data;
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else node.setAttribute(k, v);
    }
    for (const child of children || []) node.appendChild(child);
    return node;
  }

  function ago(seconds) {
    if (seconds === null || seconds === undefined) return "never";
    if (seconds < 60) return seconds.toFixed(0) + " s ago";
    if (seconds < 3600) return (seconds / 60).toFixed(0) + " min ago";
    return (seconds / 3600).toFixed(1) + " h ago";
  }

  // An interval for a person: 10, 1.1, 0.05 (one learned from beats is 1.0641693592071533)
  function secs(x) {
    return String(x >= 1 ? Math.round(x * 10) / 10 : Number(x.toPrecision(2)));
  }

  const SVG = "http://www.w3.org/2000/svg";
  // One chart of a node's beats: a line per [key, css class, top of the scale] over a time
  // window ending at the server's "now", at least 20 expected intervals wide.
  function plot(cls, height, beats, serverNow, interval, lines) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", cls);
    svg.setAttribute("viewBox", "0 0 300 " + height);
    svg.setAttribute("preserveAspectRatio", "none");
    const shown = beats.filter((b) => lines.some(([key]) => typeof b[key] === "number"));
    if (shown.length < 1) return svg;
    const t1 = Math.max(serverNow, shown[shown.length - 1].t);
    const span = Math.max(t1 - shown[0].t, 20 * interval, 1);
    const t0 = t1 - span;
    for (const [key, lineCls, top] of lines) {
      const pts = shown.filter((b) => typeof b[key] === "number")
        .map((b) => ((b.t - t0) / span * 300).toFixed(1) + "," +
          (height - 2 - Math.min(b[key], top) / top * (height - 4)).toFixed(1));
      if (pts.length < 1) continue;
      if (pts.length === 1) pts.push(pts[0]);
      const pl = document.createElementNS(SVG, "polyline");
      pl.setAttribute("class", lineCls);
      pl.setAttribute("points", pts.join(" "));
      svg.appendChild(pl);
    }
    return svg;
  }

  // CPU and memory percent of any node
  function chart(beats, serverNow, interval) {
    const memMax = Math.max(100, ...beats.map((b) => b.memory_percent || 0));
    return plot("chart", 60, beats, serverNow, interval,
      [["cpu_percent", "cpu", 100], ["memory_percent", "mem", memMax]]);
  }

  // The fps sparkline of a studio backend: fps out (green) and in (grey) over its beats.
  function sparkline(beats, serverNow, interval) {
    const top = Math.max(30, ...beats.map((b) => Math.max(b.fps_in || 0, b.fps_out || 0)));
    return plot("spark", 30, beats, serverNow, interval,
      [["fps_in", "fps-in", top], ["fps_out", "fps-out", top]]);
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const hms = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
    const mm = String(hms[1]).padStart(hms[0] ? 2 : 1, "0") + ":" + String(hms[2]).padStart(2, "0");
    return hms[0] ? hms[0] + ":" + mm : mm;
  }

  function fps(value) {
    return typeof value === "number" ? value.toFixed(1) : "—";
  }

  // A studio backend's live state from its last beat: [label, value, kind] rows ("on", "off",
  // "bad", "rec" colour the value). Seconds of a recording run on from the beat's age.
  function liveState(n) {
    const p = n.last_payload;
    if (!p || typeof p !== "object" || !p.camera) return null;
    const rows = [];
    const cam = p.camera || {};
    if (cam.state === "running") {
      // out well below in: frames are dropped (the swap cannot keep up), said in amber
      const behind = typeof cam.fps_in === "number" && typeof cam.fps_out === "number" &&
        cam.fps_in >= 1 && cam.fps_out < 0.75 * cam.fps_in;
      rows.push(["Video", fps(cam.fps_in) + " fps in · " + fps(cam.fps_out) + " out" +
        (behind ? " (dropping frames)" : ""), behind ? "bad" : "on"]);
    } else {
      rows.push(["Video", (cam.state || "stopped") + (cam.error ? ": " + cam.error : ""),
        cam.state === "stopped" ? "off" : "bad"]);
    }
    // the quality governor holding the rate by turning something down
    const gov = p.governor || {};
    if (cam.state === "running" && gov.enabled && gov.steps && gov.steps.length) {
      rows.push(["Quality", gov.summary, "bad"]);
    }
    const face = p.face || {};
    if (face.engine !== undefined) {
      const on = face.state === "swapping" || face.enabled;
      const what = on ? (face.face_loaded === false ? "on, no face loaded" : "on") : "off";
      rows.push(["Swap", what + " · " + face.engine, on ? "on" : "off"]);
    }
    const out = p.outputs || {};
    const rec = out.recording || {};
    if (rec.active) {
      const seconds = (rec.seconds || 0) + (n.state === "online" ? (n.last_seen_ago || 0) : 0);
      rows.push(["Recording", "● REC " + clock(seconds) + (rec.file ? " · " + rec.file : ""), "rec"]);
    } else {
      rows.push(["Recording", "off", "off"]);
    }
    const audio = p.audio || {};
    if (audio.state !== undefined) {
      const kind = audio.state === "running" ? "on" : (audio.state === "stopped" ? "off" : "bad");
      const word = { running: "on", stopped: "off" }[audio.state] || audio.state;
      rows.push(["Voice", word + (kind === "bad" && audio.error ? ": " + audio.error : ""), kind]);
    }
    const vcam = out.virtual_camera || {};
    if (vcam.active) {
      rows.push(["Virtual camera", "on · " + (vcam.device || ""), "on"]);
    } else {
      rows.push(["Virtual camera", vcam.error ? "off: " + vcam.error : "off", vcam.error ? "bad" : "off"]);
    }
    if (p.camera_access && p.camera_access.message) {
      rows.push(["Camera access", p.camera_access.message, "bad"]);
    }
    return rows;
  }

  // A long text (an error with its details) is cut to its first sentence; all of it is
  // the value's tooltip.
  const SHORT = 70;
  // A first sentence still too long is cut at its last colon that fits (what is wrong, not
  // half of the command that fixes it: "off: No virtual camera device yet …").
  function short(text) {
    const first = String(text).split(/(?<=[.;])\s/)[0];
    let cut = first;
    if (first.length > SHORT) {
      const colon = first.lastIndexOf(": ", SHORT - 2);
      cut = colon >= 10 ? first.slice(0, colon) : first.slice(0, SHORT - 1).trimEnd() + "…";
    }
    return cut === text ? text : cut.replace(/[.:;]$/, "") + (cut.endsWith("…") ? "" : " …");
  }

  function liveBlock(rows) {
    const list = el("dl", { "class": "live" });
    for (const [label, value, kind] of rows) {
      list.appendChild(el("dt", { text: label }));
      const attrs = { "class": "v-" + kind, text: short(value) };
      if (attrs.text !== value) attrs.title = value;
      list.appendChild(el("dd", attrs));
    }
    return list;
  }

  const history = {};
  async function loadHistory(nodeId) {
    try {
      const data = await api("/api/ar/nodes/" + encodeURIComponent(nodeId) + "/history?limit=120");
      history[nodeId] = data.beats;
    } catch (e) { /* the chart stays as it was */ }
  }

  // A backend rendering a file job (its beats' `jobs` section) is busy, not stuck: say so.
  function activity(n) {
    const jobs = n.last_payload && n.last_payload.jobs;
    if (!jobs || typeof jobs !== "object") return null;
    const parts = [];
    if (jobs.current) {
      const share = typeof jobs.current.share === "number" ? " " + Math.round(jobs.current.share * 100) + "%" : "";
      parts.push("rendering" + share);
    }
    if (jobs.queued > 0) parts.push(jobs.queued + " queued");
    if (jobs.failed > 0) parts.push(jobs.failed + " failed");
    return parts.length ? { busy: !!jobs.current, text: parts.join(" · ") } : null;
  }

  function drawNodes(nodes, serverNow) {
    const box = $("nodes");
    box.replaceChildren();
    $("no-nodes").hidden = nodes.length > 0;
    for (const n of nodes) {
      const res = n.resources || {};
      const figures = [];
      if (res.cpu_percent !== null) figures.push("CPU " + res.cpu_percent.toFixed(1) + "%");
      if (res.memory_percent !== null) figures.push("mem " + res.memory_percent.toFixed(1) + "%");
      if (res.memory_mb !== null) figures.push(res.memory_mb.toFixed(0) + " MB");
      const doing = n.state === "offline" ? null : activity(n);
      const title = [el("span", { "class": "title", text: n.node_name + " (" + n.node_id + ")" })];
      const badges = el("span", { "class": "badges" });
      if (doing && doing.busy) {
        badges.appendChild(el("span", { "class": "state state-busy", text: "busy" }));
      }
      badges.appendChild(el("span", { "class": "state state-" + n.state, text: n.state }));
      title.push(badges);
      const card = el("article", { "class": "node state-" + n.state + (doing && doing.busy ? " busy" : ""), "data-node-id": n.node_id }, [
        el("h3", {}, title),
        el("div", { "class": "meta", text: n.node_type + " · last beat " + ago(n.last_seen_ago) +
          " · every " + secs(n.expected_interval) + " s" }),
        el("div", { "class": "meta", text: n.state_reason }),
      ]);
      const live = liveState(n);
      if (live) {
        const block = liveBlock(live);
        if (n.state === "offline") block.classList.add("stale");  // (its last word, not now)
        card.appendChild(block);
        card.appendChild(sparkline(history[n.node_id] || [], serverNow, n.expected_interval));
        card.appendChild(el("div", { "class": "legend", text: "fps out (green), in (grey)" }));
      }
      card.appendChild(el("div", { "class": "meta resources", text: figures.join(" · ") || "no resource figures" }));
      if (doing) card.appendChild(el("div", { "class": "meta activity", text: doing.text }));
      if (n.health_check) {
        card.appendChild(el("div", { "class": "meta", text: "health check: " +
          (n.health_check.ok ? "passing" : "failing: " + (n.health_check.error || "")) }));
      }
      card.appendChild(chart(history[n.node_id] || [], serverNow, n.expected_interval));
      card.appendChild(el("div", { "class": "legend", text: "CPU % (blue), memory % (amber)" }));
      box.appendChild(card);
    }
  }

  function drawAlerts(alerts) {
    const tbody = $("alerts").querySelector("tbody");
    tbody.replaceChildren();
    $("no-alerts").hidden = alerts.length > 0;
    $("alerts").hidden = alerts.length === 0;
    for (const a of alerts) {
      const button = el("button", { "class": "ack", "data-alert-id": String(a.id), text: "Acknowledge" });
      if (a.status === "acknowledged") {
        button.disabled = true;
        button.textContent = "Acknowledged by " + a.acknowledgement.by;
      }
      button.addEventListener("click", () => acknowledge(a.id, button));
      // on a phone each row is a card: the cells stack, each with its column's name
      tbody.appendChild(el("tr", { "data-alert-id": String(a.id), "class": "alert-" + a.status }, [
        el("td", { "class": "alert-node", "data-label": "Node", text: a.node_id }),
        el("td", { "data-label": "Cause", text: a.cause }),
        el("td", { "class": "sev-" + a.severity, "data-label": "Severity", text: a.severity }),
        el("td", { "class": "alert-message", "data-label": "Message", text: a.message }),
        el("td", { "data-label": "Opened", text: new Date(a.opened_at).toLocaleString() }),
        el("td", { "class": "alert-status", "data-label": "Status", text: a.status }),
        el("td", { "class": "alert-action" }, [button]),
      ]));
    }
  }

  async function acknowledge(id, button) {
    button.disabled = true;
    const who = localStorage.getItem("ylOperator") || "dashboard";
    try {
      await api("/api/alerts/" + id + "/acknowledge", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ by: who, reason: "acknowledged on the dashboard" }),
      });
      await refresh();
    } catch (e) {
      button.disabled = false;
      showError("acknowledge failed: " + e.message);
    }
  }

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = !message;
  }

  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const [nodes, alerts] = await Promise.all([api("/api/ar/nodes"), api("/api/alerts")]);
      await Promise.all(nodes.nodes.slice(0, 50).map((n) => loadHistory(n.node_id)));
      drawNodes(nodes.nodes, Date.parse(nodes.timestamp) / 1000);
      drawAlerts(alerts.alerts);
      $("summary").textContent = Object.entries(nodes.summary).map(([k, v]) => v + " " + k).join(", ");
      $("updated").textContent = "updated " + new Date().toLocaleTimeString();
      showError("");
    } catch (e) {
      showError("cannot reach the monitor API: " + e.message);
    } finally {
      busy = false;
    }
  }

  $("key-entry").addEventListener("submit", (ev) => {
    ev.preventDefault();
    apiKey = $("api-key").value;
    sessionStorage.setItem("ylApiKey", apiKey);
    $("key-form").hidden = true;
    refresh();
  });

  refresh();
  setInterval(refresh, refreshMs);
})();
