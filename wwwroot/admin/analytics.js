/*
 * WaitingRoom dashboard: analytics (/_wr/admin/analytics.js). Charts from the store's per-minute data
 * (GET rooms/{name}/history?minutes=N: the same from every instance behind a load balancer) and the
 * event report for a chosen range as JSON or CSV (GET rooms/{name}/report?from=&to=[&format=csv]).
 * Uses the token admin.js keeps in sessionStorage; draws nothing until signed in. CSP-safe: no inline
 * code or style attributes, values go in with textContent and setAttribute.
 *
 * Hooks for tests: section#analytics, select#analytics-room, select#analytics-span,
 *   svg[data-analytics-chart=flow|queue|wait] with data-points="<n>" and data-state="empty|data",
 *   path[data-series=<key>]; #analytics-from, #analytics-to, button[data-download=json|csv], #analytics-result.
 */
(function () {
  'use strict';

  var TOKEN_KEY = 'wr-admin-token', EVERY = 30000, SVG = 'http://www.w3.org/2000/svg';
  var CHARTS = [
    { id: 'flow', title: 'Arrivals, admitted and abandoned per minute', unit: '/min', series: [
      ['arrivals', 'Arrivals', '#7b4fd6'], ['admitted', 'Admitted', '#1c7a43'], ['abandoned', 'Abandoned', '#b3261e']] },
    { id: 'queue', title: 'Queue length and capacity (highest in the minute)', unit: 'people', series: [
      ['queued', 'Queued', '#c26a00'], ['capacity', 'Capacity', '#6b7380']] },
    { id: 'wait', title: 'Time in queue of those let in (seconds)', unit: 's', series: [
      ['p50', 'p50', '#1d5bbf'], ['p90', 'p90', '#c26a00'], ['p99', 'p99', '#b3261e']] }
  ];

  var dashboard = document.getElementById('dashboard');
  if (!dashboard) return;
  var base = '/_wr/admin/';
  try {
    if (document.currentScript && document.currentScript.src) base = new URL('./', document.currentScript.src).pathname;
  } catch (e) { /* keep the default */ }

  function token() { try { return window.sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; } }
  function el(tag, cls, txt) { var e = document.createElement(tag); if (cls) e.className = cls; if (txt != null) e.textContent = txt; return e; }
  function svg(tag, attrs) { var e = document.createElementNS(SVG, tag); for (var k in attrs) e.setAttribute(k, attrs[k]); return e; }
  function get(path) {
    var t = token();
    if (!t) return Promise.reject(new Error('signed out'));
    return fetch(base + path, { headers: { Authorization: 'Bearer ' + t }, cache: 'no-store' }).then(function (res) {
      if (!res.ok) return res.json().catch(function () { return {}; }).then(function (d) {
        throw new Error((d && d.errors && d.errors[0]) || (d && d.error) || ('HTTP ' + res.status));
      });
      return res;
    });
  }

  // ---------- the section ----------
  var section = el('section', 'card analytics');
  section.id = 'analytics';
  section.setAttribute('aria-labelledby', 'analytics-heading');
  var heading = el('h2', null, 'Analytics');
  heading.id = 'analytics-heading';
  section.appendChild(heading);
  section.appendChild(el('p', 'muted', 'Per minute, from the store: every instance shows the same numbers. Kept 30 days.'));

  var pick = el('div', 'controls');
  function labelled(labelText, input) {
    var box = el('div', 'control');
    var label = el('label', null, labelText);
    label.setAttribute('for', input.id);
    box.appendChild(label);
    var row = el('div', 'row');
    row.appendChild(input);
    box.appendChild(row);
    pick.appendChild(box);
    return row;
  }
  var roomSelect = el('select'); roomSelect.id = 'analytics-room';
  labelled('Room', roomSelect);
  var spanSelect = el('select'); spanSelect.id = 'analytics-span';
  [['60', 'Last hour'], ['360', 'Last 6 hours'], ['1440', 'Last 24 hours']].forEach(function (o) {
    var option = el('option', null, o[1]); option.value = o[0]; spanSelect.appendChild(option);
  });
  labelled('Charts show', spanSelect);
  var fromInput = el('input'); fromInput.id = 'analytics-from'; fromInput.type = 'datetime-local';
  labelled('Report from (local time)', fromInput);
  var toInput = el('input'); toInput.id = 'analytics-to'; toInput.type = 'datetime-local';
  labelled('Report to', toInput);
  var buttons = el('div', 'control');
  buttons.appendChild(el('span', 'label-text', 'Event report'));
  var toRow = el('div', 'row');
  buttons.appendChild(toRow);
  pick.appendChild(buttons);
  ['json', 'csv'].forEach(function (f) {
    var b = el('button', 'button secondary small', 'Download ' + f.toUpperCase());
    b.type = 'button'; b.setAttribute('data-download', f);
    b.addEventListener('click', function () { download(f); });
    toRow.appendChild(b);
  });
  section.appendChild(pick);
  var result = el('p', 'result'); result.id = 'analytics-result'; result.setAttribute('role', 'status');
  section.appendChild(result);

  var grid = el('div', 'controls analytics-charts');
  CHARTS.forEach(function (c) {
    var fig = el('figure', 'chart');
    fig.appendChild(el('figcaption', 'chart-title', c.title));
    c.svg = svg('svg', { 'data-analytics-chart': c.id, 'data-points': '0', 'data-state': 'empty', role: 'img', 'aria-label': c.title, 'class': 'chart-svg' });
    fig.appendChild(c.svg);
    var legend = el('ul', 'legend');
    c.series.forEach(function (s) {
      var li = el('li');
      var sw = el('span', 'swatch');
      sw.style.borderTopColor = s[2];
      li.appendChild(sw);
      li.appendChild(document.createTextNode(s[1]));
      legend.appendChild(li);
    });
    fig.appendChild(legend);
    c.fig = fig;
    grid.appendChild(fig);
  });
  section.appendChild(grid);
  dashboard.appendChild(section);

  // ---------- data ----------
  var points = [], timer = null;
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function local(d) { return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes()); }
  (function () { var now = new Date(); toInput.value = local(now); fromInput.value = local(new Date(now.getTime() - 3600000)); })();

  function loadRooms() {
    return get('rooms').then(function (r) { return r.json(); }).then(function (list) {
      var names = (Array.isArray(list) ? list : []).map(function (r) { return r.name; });
      var keep = roomSelect.value;
      if (names.join('\n') !== Array.prototype.map.call(roomSelect.options, function (o) { return o.value; }).join('\n')) {
        roomSelect.textContent = '';
        names.forEach(function (n) { var o = el('option', null, n); o.value = n; roomSelect.appendChild(o); });
        if (names.indexOf(keep) >= 0) roomSelect.value = keep;
      }
    });
  }
  function loadHistory() {
    if (!roomSelect.value) return Promise.resolve();
    return get('rooms/' + encodeURIComponent(roomSelect.value) + '/history?minutes=' + spanSelect.value)
      .then(function (r) { return r.json(); })
      .then(function (d) {
        points = (d && Array.isArray(d.points) ? d.points : []).map(function (p) {
          var q = p.timeInQueueSeconds || {};
          return { t: new Date(p.time).getTime(), arrivals: p.arrivals, admitted: p.admitted, abandoned: p.abandoned,
            queued: p.queued, capacity: p.capacity, p50: q.p50, p90: q.p90, p99: q.p99, waited: (p.admitted || 0) > 0 };
        }).filter(function (p) { return !isNaN(p.t); });
        draw();
      });
  }
  function refresh() {
    clearTimeout(timer);
    if (dashboard.hidden || !token()) { timer = setTimeout(refresh, 2000); return; }
    loadRooms().then(loadHistory).catch(function () { /* the next refresh tries again */ }).then(function () {
      timer = setTimeout(refresh, document.hidden ? EVERY * 3 : EVERY);
    });
  }
  roomSelect.addEventListener('change', function () { loadHistory().catch(function () { }); });
  spanSelect.addEventListener('change', function () { loadHistory().catch(function () { }); });
  window.addEventListener('resize', function () { draw(); });

  function download(format) {
    var from = new Date(fromInput.value), to = new Date(toInput.value);
    if (isNaN(from.getTime()) || isNaN(to.getTime())) { result.className = 'result err'; result.textContent = 'Choose a start and an end.'; return; }
    var path = 'rooms/' + encodeURIComponent(roomSelect.value) + '/report?from=' + encodeURIComponent(from.toISOString()) +
      '&to=' + encodeURIComponent(to.toISOString()) + (format === 'csv' ? '&format=csv' : '');
    get(path).then(function (r) { return r.blob(); }).then(function (blob) {
      var a = el('a');
      a.href = URL.createObjectURL(blob);
      a.download = roomSelect.value + '-report.' + format;
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      result.className = 'result ok'; result.textContent = 'Report downloaded (' + format.toUpperCase() + ').';
    }, function (e) { result.className = 'result err'; result.textContent = e.message; });
  }

  // ---------- charts ----------
  function niceTop(max) {
    max = Math.max(max, 4);
    var raw = max / 4, mag = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10)), n = raw / mag;
    return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag * 4;
  }
  function hhmm(t) { var d = new Date(t); return pad(d.getHours()) + ':' + pad(d.getMinutes()); }
  function draw() { CHARTS.forEach(drawChart); }
  function drawChart(c) {
    var s = c.svg, span = Number(spanSelect.value) * 60000;
    var W = Math.max(260, Math.floor(c.fig.clientWidth || 600)), H = 190, m = { l: 44, r: 12, t: 18, b: 24 };
    var pw = W - m.l - m.r, ph = H - m.t - m.b;
    while (s.firstChild) s.removeChild(s.firstChild);
    s.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    var end = Math.floor(Date.now() / 60000) * 60000, start = end - span + 60000;
    var shown = points.filter(function (p) { return p.t >= start && (c.id !== 'wait' || p.waited); });
    s.setAttribute('data-points', String(shown.length));
    s.setAttribute('data-state', shown.length ? 'data' : 'empty');
    var top = 0;
    shown.forEach(function (p) { c.series.forEach(function (k) { if (p[k[0]] > top) top = p[k[0]]; }); });
    top = niceTop(top);
    var x = function (t) { return Math.round((m.l + (t - start) / Math.max(span - 60000, 60000) * pw) * 10) / 10; };
    var y = function (v) { return Math.round((m.t + ph - (v > 0 ? v : 0) / top * ph) * 10) / 10; };
    for (var i = 0; i <= 4; i++) {
      var gy = y(top * i / 4);
      s.appendChild(svg('line', { x1: m.l, x2: W - m.r, y1: gy, y2: gy, 'class': i === 0 ? 'axis' : 'grid' }));
      var lt = svg('text', { x: m.l - 6, y: gy + 4, 'text-anchor': 'end', 'class': 'tick' });
      lt.textContent = String(Math.round(top * i / 4 * 10) / 10);
      s.appendChild(lt);
    }
    var unit = svg('text', { x: m.l - 6, y: 10, 'text-anchor': 'end', 'class': 'unit' });
    unit.textContent = c.unit;
    s.appendChild(unit);
    var step = Math.max(10, Math.ceil(span / 60000 / 6 / 10) * 10) * 60000;
    for (var t = Math.ceil(start / step) * step; t <= end; t += step) {
      var label = svg('text', { x: x(t), y: H - 6, 'text-anchor': 'middle', 'class': 'tick' });
      label.textContent = hhmm(t);
      s.appendChild(label);
    }
    if (!shown.length) {
      var empty = svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', 'class': 'empty' });
      empty.textContent = 'No data in this range yet';
      s.appendChild(empty);
      return;
    }
    c.series.forEach(function (k) {
      var d = shown.map(function (p, j) { return (j ? 'L' : 'M') + x(p.t) + ' ' + y(p[k[0]]); }).join(' ');
      s.appendChild(svg('path', { d: d, 'data-series': k[0], fill: 'none', stroke: k[2], 'stroke-width': 2, 'stroke-linejoin': 'round', 'class': 'line' }));
      if (shown.length === 1) s.appendChild(svg('circle', { cx: x(shown[0].t), cy: y(shown[0][k[0]]), r: 3, fill: k[2] }));
    });
  }

  refresh();
})();
