/*
 * WaitingRoom operator dashboard (/_wr/admin/). Talks only to the admin API beside it, with the
 * token the operator typed (kept in sessionStorage 'wr-admin-token', sent as "Authorization:
 * Bearer …"); a 401 forgets it and shows the sign-in form again. Works under the page's CSP:
 * no inline code or styles, every value goes in with textContent or setAttribute.
 *
 * Polling: GET rooms every 2 s, GET rooms/{name}/history every 10 s (and at once for a new room),
 * GET backends every 5 s; three times slower while the tab is hidden.
 *
 * Hooks for tests (stable; change them together with tests/WaitingRoom.Tests/Browser/DashboardBrowserTests.cs):
 *   #signin (form, hidden once signed in)   #token (password input)   #signin-message
 *   #dashboard (main)   #signout   #updated (time of the last good rooms poll)
 *   #connection (the "connection lost, retrying" notice; [hidden] while the API answers)
 *   #rooms > article[data-room="<name>"] — one card per room, with
 *     [data-field=name|route|title|phase|mode|draining|event|adaptive|active|capacity|capacity-note|queued|
 *      released|rate|admitted]   (numbers also carry their raw value in data-value)
 *     svg[data-chart="<name>"] with data-points="<n>" and data-state="empty|data";
 *       path[data-series=queued|active|admittedPerMinute|capacity]
 *     ol[data-field=changes] (adaptive rooms: the recent capacity changes, newest first) > li[data-change] with
 *       data-from, data-to, data-reason, data-by and [data-part=at|step|reason|by]
 *     form[data-control=capacity|mode|newUsersPerMinute|release] (one input/select + submit button)
 *     form[data-control=pin] (adaptive rooms only): input, submit "Pin", button[data-action=unpin],
 *       [data-field=pinned] (who pinned it at what, or that the controller sets it; data-value = the pin or '',
 *       data-by = operator|origin|'')
 *     button[data-action=drain] (reads "Drain" or "Resume"), button[data-action=reset]
 *     button[data-revert=maxActive|queueMode|newUsersPerMinute] (shown while PATCH overrides it)
 *     [data-result] next to every control: the API's answer (class ok or err)
 *   #backends: #lb-policy #lb-sticky #lb-health-path; tbody tr[data-backend="<id>"] with
 *     [data-field=id|address|health|requests|inflight|disabled] (health and disabled carry data-value),
 *     button[data-action=toggle] (Disable/Enable), button[data-action=remove];
 *     #backends-empty, #backend-result, form#backend-add with #backend-address
 */
(function () {
  'use strict';

  var TOKEN_KEY = 'wr-admin-token';
  var ROOMS_EVERY = 2000, HISTORY_EVERY = 10000, BACKENDS_EVERY = 5000, TIMEOUT = 10000;
  var HOUR = 3600000;
  var SVG = 'http://www.w3.org/2000/svg';
  var REJECTED = 'The admin token was not accepted. Sign in again.';
  var STALE = { stale: true };
  var MODES = ['fifo', 'random', 'passthrough', 'queue-all', 'reject'];
  var ERRORS = {
    'unauthorized': 'The admin token was not accepted.',
    'invalid-settings': 'The value was not accepted.',
    'unknown-room': 'This room no longer exists.',
    'confirm-required': 'The reset was not confirmed.',
    'invalid-token': 'That is not a valid visitor token.',
    'not-active': 'That visitor is not active in this room.',
    'invalid-address': 'That is not a valid backend address (http://host:port).',
    'duplicate-address': 'A backend with that address already exists.',
    'unknown-backend': 'That backend no longer exists.',
    'no-backend-cluster': 'No backend cluster: set WR_BACKEND_URL to proxy to your own backends.',
    'store-unavailable': 'The store (Redis) is not answering. Try again in a moment.'
  };

  var $ = function (id) { return document.getElementById(id); };
  var signinForm = $('signin'), tokenInput = $('token'), signinMessage = $('signin-message'),
    dashboard = $('dashboard'), session = $('session'), updatedEl = $('updated'), connection = $('connection'),
    roomsEl = $('rooms'), roomsEmpty = $('rooms-empty'), backendsBody = document.querySelector('#backends tbody'),
    backendsEmpty = $('backends-empty'), backendResult = $('backend-result'), addForm = $('backend-add'),
    addressInput = $('backend-address');
  if (!signinForm || !dashboard || !roomsEl || !backendsBody) return;

  // The API lives beside this script (/_wr/admin/), wherever the app is mounted.
  var base = '/_wr/admin/';
  try {
    if (document.currentScript && document.currentScript.src) base = new URL('./', document.currentScript.src).pathname;
  } catch (e) { /* keep the default */ }

  var token = null;
  var generation = 0;        // bumped on sign-in/out: answers to older requests are dropped
  var timers = {};
  var loops = {};
  var down = {};             // poll name -> true while it fails
  var cards = {};            // room name -> card
  var rows = {};             // backend id -> row
  var seq = {}, applied = {}; // per resource: newest request sent / newest answer shown
  var uid = 0;
  var activeChecks = true;   // the backends have a health check path (active probes)

  // ---------- small helpers ----------
  function isNum(v) { return typeof v === 'number' && isFinite(v); }
  function setText(el, txt) { txt = txt == null ? '' : String(txt); if (el && el.textContent !== txt) el.textContent = txt; }
  function el(tag, cls, txt) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (txt != null) e.textContent = txt;
    return e;
  }
  function svg(tag, attrs, cls) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
    if (cls) e.setAttribute('class', cls);
    return e;
  }
  function int(n) { return isNum(n) ? Math.round(n).toLocaleString('en-US') : '–'; }
  function dec(n) { return isNum(n) ? (Math.round(n * 10) / 10).toLocaleString('en-US', { maximumFractionDigits: 1 }) : '–'; }
  function num(elm, n, text) {
    setText(elm, text);
    var v = isNum(n) ? String(n) : '';
    if (elm.getAttribute('data-value') !== v) elm.setAttribute('data-value', v);
  }
  function show(elm, on) { if (elm.hidden === on) elm.hidden = !on; }
  function clock(d, seconds) {
    var o = { hour: '2-digit', minute: '2-digit', hour12: false };
    if (seconds) o.second = '2-digit';
    try { return d.toLocaleTimeString([], o); } catch (e) { return d.toTimeString().slice(0, seconds ? 8 : 5); }
  }
  function nextId(what) { uid += 1; return 'wr-' + what + '-' + uid; }
  function message(r) {
    var d = r && r.data;
    if (d && Array.isArray(d.errors) && d.errors.length) return d.errors.join('; ');
    if (d && typeof d.error === 'string') return ERRORS[d.error] || d.error;
    return r ? 'The request failed (HTTP ' + r.status + ').' : 'The dashboard cannot reach the API right now.';
  }
  // Shows an answer beside a control: errors stay until the next try, successes fade after 4 s.
  function result(elm, ok, txt) {
    if (!elm) return;
    clearTimeout(elm.wrTimer);
    elm.className = 'result ' + (ok ? 'ok' : 'err');
    setText(elm, txt);
    if (ok) elm.wrTimer = setTimeout(function () { setText(elm, ''); }, 4000);
  }

  // ---------- the API ----------
  function api(method, path, body) {
    var gen = generation;
    var ctl = typeof AbortController === 'function' ? new AbortController() : null;
    var kill = ctl ? setTimeout(function () { ctl.abort(); }, TIMEOUT) : null;
    var headers = { Accept: 'application/json', Authorization: 'Bearer ' + token };
    var init = { method: method, headers: headers, cache: 'no-store', credentials: 'same-origin', redirect: 'error', signal: ctl ? ctl.signal : undefined };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(base + path, init).then(function (res) {
      if (gen !== generation) throw STALE;
      if (res.status === 401) {
        signOut(REJECTED);
        throw STALE;
      }
      var type = res.headers.get('Content-Type') || '';
      var parse = type.indexOf('json') >= 0 ? res.json().catch(function () { return null; }) : Promise.resolve(null);
      return parse.then(function (data) {
        clearTimeout(kill);
        if (gen !== generation) throw STALE;
        return { status: res.status, ok: res.ok, data: data };
      });
    }, function (e) {
      clearTimeout(kill);
      throw gen !== generation ? STALE : e;
    });
  }

  // A GET whose answer is shown only if no newer answer of the same resource was shown already.
  function load(key, path, check, render) {
    var mine = (seq[key] || 0) + 1;
    seq[key] = mine;
    return api('GET', path).then(function (r) {
      if (!r.ok || !check(r.data)) throw new Error(key + ': HTTP ' + r.status);
      if (mine < (applied[key] || 0)) return;
      applied[key] = mine;
      render(r.data);
    });
  }

  // Runs task now (or after delay) and then every `every` ms after the previous run settled, until
  // sign-out; loops[key]() runs it at once unless it is running.
  function loop(key, every, task, delay) {
    var gen = generation, running = false;
    function tick() {
      if (gen !== generation || running) return;
      clearTimeout(timers[key]);
      running = true;
      Promise.resolve().then(task).then(function () { online(key, true); }, function (e) {
        if (e !== STALE) online(key, false);
      }).then(function () {
        running = false;
        if (gen === generation) timers[key] = setTimeout(tick, document.hidden ? every * 3 : every);
      });
    }
    loops[key] = tick;
    timers[key] = setTimeout(tick, delay || 0);
  }
  function online(key, ok) {
    down[key] = !ok;
    var lost = false;
    for (var k in down) if (down[k]) lost = true;
    show(connection, lost);
    dashboard.classList.toggle('stale', lost);
  }

  // ---------- sign-in ----------
  function readToken() { try { return window.sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; } }
  function keepToken(t) {
    try {
      if (t) window.sessionStorage.setItem(TOKEN_KEY, t); else window.sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* this tab only, in memory */ }
  }
  function stopAll() {
    generation += 1;
    for (var k in timers) clearTimeout(timers[k]);
    timers = {};
    loops = {};
    down = {};
    seq = {};
    applied = {};
  }
  function signOut(msg) {
    stopAll();
    token = null;
    keepToken(null);
    cards = {};
    rows = {};
    roomsEl.textContent = '';
    backendsBody.textContent = '';
    setText(roomsEmpty, 'Loading…');
    show(roomsEmpty, true);
    show(connection, false);
    dashboard.classList.remove('stale');
    setText(updatedEl, '–');
    show(dashboard, false);
    show(session, false);
    setText(signinMessage, msg || '');
    tokenInput.value = '';
    show(signinForm, true);
    try { tokenInput.focus(); } catch (e) { /* not focusable yet */ }
  }
  function signIn(t) {
    stopAll();
    token = t;
    keepToken(t);
    setText(signinMessage, '');
    show(signinForm, false);
    show(dashboard, true);
    show(session, true);
    loop('rooms', ROOMS_EVERY, loadRooms);
    loop('backends', BACKENDS_EVERY, loadBackends);
    loop('history', HISTORY_EVERY, loadHistories, HISTORY_EVERY);
  }
  signinForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var t = tokenInput.value.trim();
    if (!t) { setText(signinMessage, 'Enter the admin token.'); return; }
    tokenInput.value = '';
    signIn(t);
  });
  $('signout').addEventListener('click', function (e) {
    e.preventDefault();
    signOut('Signed out.');
  });

  // ---------- rooms ----------
  function loadRooms() {
    return load('rooms', 'rooms', Array.isArray, function (list) {
      var seen = {};
      var before = roomsEl.firstElementChild;
      list.forEach(function (room) {
        if (!room || typeof room.name !== 'string') return;
        seen[room.name] = true;
        var card = cards[room.name];
        var fresh = !card;
        if (fresh) card = cards[room.name] = roomCard(room.name);
        // Keep the API's order.
        if (card.el !== before) roomsEl.insertBefore(card.el, before); else before = before.nextElementSibling;
        renderRoom(card, room);
        if (fresh) loadHistory(room.name).catch(function () { /* the history loop retries */ });
      });
      Object.keys(cards).forEach(function (name) {
        if (!seen[name]) { roomsEl.removeChild(cards[name].el); delete cards[name]; }
      });
      setText(roomsEmpty, 'No rooms.');
      show(roomsEmpty, list.length === 0);
      var now = new Date();
      updatedEl.setAttribute('datetime', now.toISOString());
      setText(updatedEl, clock(now, true));
    });
  }

  function roomPath(name, action) { return 'rooms/' + encodeURIComponent(name) + (action ? '/' + action : ''); }

  function field(parent, tag, name, cls, txt) {
    var e = el(tag, cls, txt);
    e.setAttribute('data-field', name);
    parent.appendChild(e);
    return e;
  }

  function roomCard(name) {
    var c = { name: name, f: {}, inputs: {}, reverts: {}, points: null };
    var card = el('article', 'card room');
    card.setAttribute('data-room', name);
    c.el = card;

    var head = el('header', 'room-head');
    var who = el('div', 'who');
    c.f.name = field(who, 'h3', 'name', 'room-name', name);
    c.f.route = field(who, 'p', 'route', 'route');
    c.f.title = field(who, 'p', 'title', 'room-title');
    head.appendChild(who);
    var badges = el('p', 'badges');
    c.f.phase = field(badges, 'span', 'phase', 'badge');
    c.f.mode = field(badges, 'span', 'mode', 'badge');
    c.f.draining = field(badges, 'span', 'draining', 'badge warn', 'Draining');
    c.f.event = field(badges, 'span', 'event', 'badge info');
    c.f.adaptive = field(badges, 'span', 'adaptive', 'badge info');
    head.appendChild(badges);
    card.appendChild(head);

    var body = el('div', 'room-body');
    var stats = el('div', 'stats');
    var big = el('div', 'big');
    var acts = el('div', 'big-one');
    acts.appendChild(el('p', 'label', 'Active / capacity'));
    var v = el('p', 'value');
    c.f.active = field(v, 'span', 'active', '');
    v.appendChild(el('span', 'sep', ' / '));
    c.f.capacity = field(v, 'span', 'capacity', 'cap');
    acts.appendChild(v);
    c.f['capacity-note'] = field(acts, 'p', 'capacity-note', 'hint');
    c.f.changes = field(acts, 'ol', 'changes', 'changes');
    c.f.changes.setAttribute('aria-label', 'Recent capacity changes, newest first');
    c.f.changes.hidden = true;
    big.appendChild(acts);
    var qs = el('div', 'big-one');
    qs.appendChild(el('p', 'label', 'Queued'));
    var qv = el('p', 'value queued');
    c.f.queued = field(qv, 'span', 'queued', '');
    qs.appendChild(qv);
    big.appendChild(qs);
    stats.appendChild(big);
    var facts = el('dl', 'facts');
    [['released', 'Released, on the way'], ['rate', 'Promotions / min'], ['admitted', 'Admitted in total'], ['promoted', 'Promoted in total']].forEach(function (p) {
      var d = el('div');
      d.appendChild(el('dt', '', p[1]));
      c.f[p[0]] = field(d, 'dd', p[0], '');
      facts.appendChild(d);
    });
    stats.appendChild(facts);
    body.appendChild(stats);

    var fig = el('figure', 'chart');
    var cap = el('figcaption', 'chart-title', 'Last hour');
    fig.appendChild(cap);
    c.svg = svg('svg', { 'data-chart': name, 'data-points': '0', 'data-state': 'empty', role: 'img', 'aria-label': 'Last hour: no data yet' }, 'chart-svg');
    fig.appendChild(c.svg);
    var legend = el('ul', 'legend');
    [['queued', 'Queued'], ['active', 'Active'], ['admittedPerMinute', 'Admitted / min (right axis)'], ['capacity', 'Capacity']].forEach(function (s) {
      var li = el('li');
      li.appendChild(el('span', 'swatch s-' + s[0]));
      li.appendChild(document.createTextNode(s[1]));
      legend.appendChild(li);
    });
    fig.appendChild(legend);
    c.fig = fig;
    body.appendChild(fig);
    card.appendChild(body);

    var controls = el('div', 'controls');
    controls.appendChild(numberControl(c, 'capacity', 'maxActive', 'Capacity (max active)', 'Apply', 1));
    controls.appendChild(pinControl(c));
    controls.appendChild(modeControl(c));
    controls.appendChild(numberControl(c, 'newUsersPerMinute', 'newUsersPerMinute', 'New users / minute (0 = no cap)', 'Apply', 0));
    controls.appendChild(drainControl(c));
    controls.appendChild(resetControl(c));
    controls.appendChild(releaseControl(c));
    card.appendChild(controls);
    return c;
  }

  function controlBox(tag, c, kind, labelText, forId) {
    var box = el(tag, 'control');
    box.setAttribute('data-control', kind);
    if (tag === 'form') box.setAttribute('autocomplete', 'off');
    var top = el('div', 'control-top');
    var label = el('label', '', labelText);
    if (forId) label.setAttribute('for', forId); else label = el('span', 'label-text', labelText);
    top.appendChild(label);
    box.appendChild(top);
    var row = el('div', 'row');
    box.appendChild(row);
    var res = el('p', 'result');
    res.setAttribute('data-result', kind);
    res.setAttribute('role', 'status');
    box.wrRow = row;
    box.wrTop = top;
    box.wrResult = res;
    return box;
  }

  // A "use configured value" button, shown while the room's overrides hold the property.
  function revertButton(c, box, prop, labelText) {
    var b = el('button', 'link', 'use configured');
    b.type = 'button';
    b.hidden = true;
    b.setAttribute('data-revert', prop);
    b.setAttribute('aria-label', 'Use the configured ' + labelText);
    b.addEventListener('click', function () { patch(c, prop, null, box.wrResult, 'Back to the configured value.'); });
    box.wrTop.appendChild(b);
    c.reverts[prop] = b;
  }

  // Once the operator touches a control, the live refresh leaves its value alone until it is
  // applied (or the page is re-rendered): focus counts, so a field emptied and left for a moment
  // is not filled in again under the operator's hands.
  function dirtyOnEdit(input, evt) {
    ['focus', evt].forEach(function (e) {
      input.addEventListener(e, function () { input.wrDirty = true; });
    });
  }

  // A field for a whole number of min or more, marked dirty while the operator edits it.
  function wholeNumberInput(id, name, min) {
    var input = el('input');
    input.id = id;
    input.type = 'number';
    input.min = String(min);
    input.step = '1';
    input.required = true;
    input.setAttribute('inputmode', 'numeric');
    input.name = name;
    dirtyOnEdit(input, 'input');
    dirtyOnEdit(input, 'change');
    return input;
  }

  // The field's whole number, or null with the reason shown in the box's result line.
  function wholeNumberOf(input, min, box) {
    var n = Number(input.value);
    if (input.value === '' || !isFinite(n) || n < min || Math.floor(n) !== n) {
      result(box.wrResult, false, 'Enter a whole number of ' + min + ' or more.');
      return null;
    }
    return n;
  }

  function numberControl(c, kind, prop, labelText, buttonText, min) {
    var id = nextId(kind);
    var box = controlBox('form', c, kind, labelText, id);
    var input = wholeNumberInput(id, prop, min);
    var b = el('button', 'button', buttonText);
    b.type = 'submit';
    box.wrRow.appendChild(input);
    box.wrRow.appendChild(b);
    box.appendChild(box.wrResult);
    revertButton(c, box, prop, labelText.toLowerCase());
    c.inputs[prop] = input;
    box.addEventListener('submit', function (e) {
      e.preventDefault();
      var n = wholeNumberOf(input, min, box);
      if (n !== null) patch(c, prop, n, box.wrResult, 'Saved.', input);
    });
    return box;
  }

  // Adaptive rooms: pin the capacity at a number (PATCH adaptive.pinned) or hand it back to the controller.
  function pinControl(c) {
    var id = nextId('pin');
    var box = controlBox('form', c, 'pin', 'Pin adaptive capacity', id);
    var input = wholeNumberInput(id, 'pinned', 1);
    var b = el('button', 'button', 'Pin');
    b.type = 'submit';
    var unpin = el('button', 'button secondary', 'Unpin');
    unpin.type = 'button';
    unpin.setAttribute('data-action', 'unpin');
    box.wrRow.appendChild(input);
    box.wrRow.appendChild(b);
    box.wrRow.appendChild(unpin);
    var who = el('p', 'hint');
    who.setAttribute('data-field', 'pinned');
    box.appendChild(who);
    box.appendChild(box.wrResult);
    box.hidden = true;
    c.inputs.pinned = input;
    c.pin = { box: box, who: who, unpin: unpin };
    box.addEventListener('submit', function (e) {
      e.preventDefault();
      var n = wholeNumberOf(input, 1, box);
      if (n !== null) patch(c, 'adaptive', { pinned: n }, box.wrResult, 'Pinned at ' + int(n) + '.', input);
    });
    unpin.addEventListener('click', function () {
      patch(c, 'adaptive', { pinned: null }, box.wrResult, 'Unpinned: the controller sets the capacity again.', input);
    });
    return box;
  }

  // Who pinned an adaptive capacity at what, for the pin control.
  function renderPin(c, ad) {
    var p = c.pin;
    show(p.box, !!ad);
    if (!ad) return;
    var pinned = isNum(ad.pinned);
    setText(p.who, !pinned ? 'Not pinned: the controller sets the capacity between ' + int(ad.min) + ' and ' + int(ad.max) + '.'
      : !ad.pinnedBy ? 'Pinned at ' + int(ad.pinned) + ': applied at the controller’s next step.'
      : 'Pinned at ' + int(ad.pinned) + ' by the ' + ad.pinnedBy + (ad.pinnedBy === 'origin' ? ' (its WR-Command: capacity=auto hands it back).' : '.'));
    p.who.setAttribute('data-value', pinned ? String(ad.pinned) : '');
    p.who.setAttribute('data-by', pinned && ad.pinnedBy ? String(ad.pinnedBy) : '');
    p.unpin.disabled = !pinned || ad.pinnedBy === 'origin';
    syncInput(c.inputs.pinned, pinned ? ad.pinned : '');
  }

  // The recent changes of an adaptive capacity (from the store, the same on every instance), newest first.
  function renderChanges(c, ad) {
    var list = c.f.changes;
    var changes = ad && Array.isArray(ad.changes) ? ad.changes : [];
    show(list, changes.length > 0);
    var key = JSON.stringify(changes);
    if (list.wrKey === key) return;
    list.wrKey = key;
    list.textContent = '';
    changes.forEach(function (ch) {
      if (!ch || typeof ch !== 'object') return;
      var li = el('li', 'change');
      li.setAttribute('data-change', '');
      ['from', 'to', 'reason', 'by'].forEach(function (k) { li.setAttribute('data-' + k, ch[k] == null ? '' : String(ch[k])); });
      var at = new Date(ch.at);
      var t = el('time', 'at', isNaN(at.getTime()) ? '–' : clock(at, true));
      if (!isNaN(at.getTime())) t.setAttribute('datetime', at.toISOString());
      t.setAttribute('data-part', 'at');
      var step = el('span', 'step', int(ch.from) + ' → ' + int(ch.to));
      step.setAttribute('data-part', 'step');
      var why = el('span', 'reason', String(ch.reason || '–') + signal(ch));
      why.setAttribute('data-part', 'reason');
      var by = el('span', 'by', 'by ' + String(ch.by || '–'));
      by.setAttribute('data-part', 'by');
      [t, step, why, by].forEach(function (part) { li.appendChild(part); });
      list.appendChild(li);
    });
  }
  function signal(ch) {
    var parts = [];
    if (isNum(ch.p95)) parts.push('p95 ' + String(Math.round(ch.p95 * 1000) / 1000) + ' s');
    if (isNum(ch.errorShare)) parts.push(dec(ch.errorShare * 100) + ' % errors');
    return parts.length ? ' (' + parts.join(', ') + ')' : '';
  }

  function modeControl(c) {
    var id = nextId('mode');
    var box = controlBox('form', c, 'mode', 'Queue mode', id);
    var select = el('select');
    select.id = id;
    select.name = 'queueMode';
    MODES.forEach(function (m) {
      var o = el('option', '', m);
      o.value = m;
      select.appendChild(o);
    });
    dirtyOnEdit(select, 'change');
    var b = el('button', 'button', 'Apply');
    b.type = 'submit';
    box.wrRow.appendChild(select);
    box.wrRow.appendChild(b);
    box.appendChild(box.wrResult);
    revertButton(c, box, 'queueMode', 'queue mode');
    c.inputs.queueMode = select;
    box.addEventListener('submit', function (e) {
      e.preventDefault();
      patch(c, 'queueMode', select.value, box.wrResult, 'Saved.', select);
    });
    return box;
  }

  function drainControl(c) {
    var box = controlBox('div', c, 'drain', 'Admissions');
    var b = el('button', 'button secondary', 'Drain');
    b.type = 'button';
    b.setAttribute('data-action', 'drain');
    var hint = el('span', 'hint', '');
    box.wrRow.appendChild(b);
    box.wrRow.appendChild(hint);
    box.appendChild(box.wrResult);
    c.drain = b;
    c.drainHint = hint;
    b.addEventListener('click', function () {
      var resume = c.draining === true;
      b.disabled = true;
      api('POST', roomPath(c.name, resume ? 'resume' : 'drain')).then(function (r) {
        b.disabled = false;
        if (!r.ok) return result(box.wrResult, false, message(r));
        if (r.data && r.data.name === c.name) renderRoom(c, r.data);
        result(box.wrResult, true, resume ? 'Resumed: visitors are let in again.' : 'Draining: nobody new is let in.');
      }, function (e) {
        b.disabled = false;
        if (e !== STALE) result(box.wrResult, false, message(null));
      });
    });
    return box;
  }

  function resetControl(c) {
    var box = controlBox('div', c, 'reset', 'Queue');
    var b = el('button', 'button danger', 'Reset queue…');
    b.type = 'button';
    b.setAttribute('data-action', 'reset');
    box.wrRow.appendChild(b);
    box.appendChild(box.wrResult);
    b.addEventListener('click', function () {
      var queued = isNum(c.queued) ? int(c.queued) + ' queued visitors' : 'every queued visitor';
      if (!window.confirm('Reset the queue of room “' + c.name + '”?\n\nThis removes ' + queued + ' from the queue; they lose their places. Active visitors stay.')) return;
      b.disabled = true;
      api('POST', roomPath(c.name, 'reset') + '?confirm=true').then(function (r) {
        b.disabled = false;
        if (!r.ok) return result(box.wrResult, false, message(r));
        var n = r.data && isNum(r.data.removed) ? r.data.removed : null;
        result(box.wrResult, true, n === null ? 'Queue cleared.' : 'Queue cleared: ' + int(n) + (n === 1 ? ' visitor' : ' visitors') + ' removed.');
        loadRooms().catch(function () { /* the poll retries */ });
      }, function (e) {
        b.disabled = false;
        if (e !== STALE) result(box.wrResult, false, message(null));
      });
    });
    return box;
  }

  function releaseControl(c) {
    var id = nextId('release');
    var box = controlBox('form', c, 'release', 'Release a visitor', id);
    var input = el('input');
    input.id = id;
    input.type = 'text';
    input.name = 'token';
    input.required = true;
    input.spellcheck = false;
    input.setAttribute('autocapitalize', 'off');
    input.placeholder = 'wr_token value';
    var b = el('button', 'button secondary', 'Release');
    b.type = 'submit';
    box.wrRow.appendChild(input);
    box.wrRow.appendChild(b);
    box.appendChild(box.wrResult);
    box.addEventListener('submit', function (e) {
      e.preventDefault();
      var t = input.value.trim();
      if (!t) return result(box.wrResult, false, 'Paste the visitor’s wr_token value.');
      b.disabled = true;
      api('POST', roomPath(c.name, 'release'), { token: t }).then(function (r) {
        b.disabled = false;
        if (!r.ok) return result(box.wrResult, false, message(r));
        input.value = '';
        result(box.wrResult, true, 'Released: the slot is free.');
        loadRooms().catch(function () { /* the poll retries */ });
      }, function (e) {
        b.disabled = false;
        if (e !== STALE) result(box.wrResult, false, message(null));
      });
    });
    return box;
  }

  function patch(c, prop, value, res, okText, input) {
    var body = {};
    body[prop] = value;
    api('PATCH', roomPath(c.name), body).then(function (r) {
      if (!r.ok) return result(res, false, message(r));
      if (input) input.wrDirty = false;
      if (r.data && r.data.name === c.name) renderRoom(c, r.data, true);
      result(res, true, okText);
    }, function (e) {
      if (e !== STALE) result(res, false, message(null));
    });
  }

  // Puts the server's value in a control unless the operator is editing it.
  function syncInput(input, value) {
    if (!input || input.wrDirty || document.activeElement === input) return;
    var v = value == null ? '' : String(value);
    if (input.value !== v) input.value = v;
  }

  function renderRoom(c, r, force) {
    var f = c.f;
    if (force) Object.keys(c.inputs).forEach(function (k) { c.inputs[k].wrDirty = false; });
    var host = typeof r.host === 'string' && r.host ? r.host : '*';
    var path = typeof r.path === 'string' && r.path ? r.path : '/';
    setText(f.route, host === '*' ? 'any host, path ' + path : host + path);
    setText(f.title, typeof r.title === 'string' ? r.title : '');
    show(f.title, typeof r.title === 'string' && r.title !== '');
    setText(f.phase, 'phase: ' + (r.phase || 'normal'));
    f.phase.setAttribute('data-value', String(r.phase || ''));
    f.phase.classList.toggle('info', !!r.phase && r.phase !== 'normal');
    setText(f.mode, 'mode: ' + (r.queueMode || '–'));
    f.mode.setAttribute('data-value', String(r.queueMode || ''));
    c.draining = r.draining === true;
    show(f.draining, c.draining);
    var ev = r.event && typeof r.event === 'object' ? r.event : null;
    setText(f.event, ev ? 'event ' + span(ev.start, ev.end) : '');
    show(f.event, !!ev);

    num(f.active, r.active, int(r.active));
    num(f.capacity, r.capacity, int(r.capacity));
    var note = '';
    var ad = r.adaptive && typeof r.adaptive === 'object' && r.adaptive.on === true ? r.adaptive : null;
    setText(f.adaptive, ad ? 'adaptive' + (ad.hold ? ': holding' : ad.pinnedBy ? ': pinned by ' + ad.pinnedBy : '') : '');
    f.adaptive.classList.toggle('warn', !!ad && ad.hold === true);
    show(f.adaptive, !!ad);
    if (c.draining) note = 'Draining: the limit is 0 until resumed (configured ' + int(r.maxActive) + ').';
    else if (ad) note = adaptiveNote(ad);
    else if (isNum(r.maxActive) && isNum(r.capacity) && r.maxActive !== r.capacity) note = 'The event’s limit applies (room’s own: ' + int(r.maxActive) + ').';
    setText(f['capacity-note'], note);
    show(f['capacity-note'], note !== '');
    renderChanges(c, ad);
    renderPin(c, ad);
    c.el.classList.toggle('full', isNum(r.active) && isNum(r.capacity) && r.capacity > 0 && r.active >= r.capacity);
    c.queued = r.queued;
    num(f.queued, r.queued, int(r.queued));
    num(f.released, r.released, int(r.released));
    num(f.rate, r.promotionRatePerMinute, dec(r.promotionRatePerMinute));
    num(f.admitted, r.admittedTotal, int(r.admittedTotal));
    num(f.promoted, r.promotedTotal, int(r.promotedTotal));

    syncInput(c.inputs.maxActive, r.maxActive);
    syncInput(c.inputs.queueMode, r.queueMode);
    syncInput(c.inputs.newUsersPerMinute, r.newUsersPerMinute);
    var o = r.overrides && typeof r.overrides === 'object' ? r.overrides : {};
    Object.keys(c.reverts).forEach(function (k) { show(c.reverts[k], Object.prototype.hasOwnProperty.call(o, k) && o[k] !== null); });

    setText(c.drain, c.draining ? 'Resume' : 'Drain');
    c.drain.classList.toggle('warn', c.draining);
    setText(c.drainHint, c.draining ? 'Nobody new is let in; active visitors finish.' : 'Let visitors in up to the capacity.');
  }

  // The signal behind an adaptive capacity: bounds, this instance's last p95 and error share, why it last changed.
  function adaptiveNote(ad) {
    var parts = ['Adaptive between ' + int(ad.min) + ' and ' + int(ad.max)];
    var sec = function (n) { return isNum(n) ? String(Math.round(n * 1000) / 1000) : '–'; };
    if (isNum(ad.p95)) parts.push('p95 ' + sec(ad.p95) + ' s (target ' + sec(ad.targetP95) + ' s)');
    if (isNum(ad.errorShare)) parts.push('errors ' + dec(ad.errorShare * 100) + ' % (at most ' + dec(ad.maxErrors * 100) + ' %)');
    if (ad.hold) parts.push('holding: the origin fails, nobody new is let in');
    else if (ad.pinnedBy) parts.push('pinned at ' + int(ad.pinned) + ' by the ' + ad.pinnedBy);
    else if (ad.reason) parts.push('last change: ' + ad.reason);
    return parts.join('; ') + '.';
  }

  function span(start, end) {
    var a = new Date(start), b = new Date(end);
    var ok = function (d) { return !isNaN(d.getTime()); };
    if (!ok(a) && !ok(b)) return '';
    var day = function (d) {
      try { return d.toLocaleDateString([], { day: 'numeric', month: 'short' }) + ' ' + clock(d); } catch (e) { return d.toISOString(); }
    };
    if (ok(a) && ok(b)) return day(a) + ' – ' + (a.toDateString() === b.toDateString() ? clock(b) : day(b));
    return ok(a) ? 'from ' + day(a) : 'until ' + day(b);
  }

  // ---------- history chart ----------
  function loadHistory(name) {
    return load('history:' + name, roomPath(name, 'history'), function (d) { return d && Array.isArray(d.points); }, function (d) {
      var c = cards[name];
      if (!c) return;
      c.points = d.points.filter(function (p) { return p && !isNaN(new Date(p.time).getTime()); });
      drawChart(c);
    });
  }
  function loadHistories() {
    return Promise.all(Object.keys(cards).map(loadHistory));
  }

  // Nice axis top: four equal steps of 1, 2, 2.5 (not for small counts) or 5 times a power of ten.
  function niceTop(max) {
    max = Math.max(max, 4);
    var raw = max / 4, mag = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10)), n = raw / mag;
    var step = (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 && mag >= 10 ? 2.5 : n <= 5 ? 5 : 10) * mag;
    return step * 4;
  }
  function compact(n) {
    var a = Math.abs(n), t = function (x) { return String(Math.round(x * 10) / 10); };
    return a >= 1e6 ? t(n / 1e6) + 'M' : a >= 1e4 ? t(n / 1e3) + 'k' : t(n);
  }

  function drawChart(c) {
    var s = c.svg, points = c.points || [];
    var W = Math.max(260, Math.floor(c.fig.clientWidth || 600));
    var H = W < 480 ? 180 : 210;
    var m = { l: 42, r: 42, t: 22, b: 26 };
    var pw = W - m.l - m.r, ph = H - m.t - m.b;
    while (s.firstChild) s.removeChild(s.firstChild);
    s.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    s.setAttribute('data-points', String(points.length));
    s.setAttribute('data-state', points.length ? 'data' : 'empty');

    var times = points.map(function (p) { return new Date(p.time).getTime(); });
    var end = times.length ? times[times.length - 1] : Date.now(), start = end - HOUR;
    var val = function (p, k) { return isNum(p[k]) && p[k] > 0 ? p[k] : 0; };
    var leftMax = 0, rightMax = 0;
    points.forEach(function (p, i) {
      if (times[i] < start) return;
      leftMax = Math.max(leftMax, val(p, 'queued'), val(p, 'active'), val(p, 'capacity'));
      rightMax = Math.max(rightMax, val(p, 'admittedPerMinute'));
    });
    var lTop = niceTop(leftMax), rTop = niceTop(rightMax);
    var x = function (t) { return m.l + (t - start) / HOUR * pw; };
    var yl = function (v) { return m.t + ph - v / lTop * ph; };
    var yr = function (v) { return m.t + ph - v / rTop * ph; };
    var r1 = function (n) { return Math.round(n * 10) / 10; };

    // Grid and y labels: people on the left, admissions per minute on the right.
    for (var i = 0; i <= 4; i++) {
      var y = r1(m.t + ph - i * ph / 4);
      s.appendChild(svg('line', { x1: m.l, x2: W - m.r, y1: y, y2: y }, i === 0 ? 'axis' : 'grid'));
      var lt = svg('text', { x: m.l - 6, y: y + 4, 'text-anchor': 'end' }, 'tick');
      lt.textContent = compact(lTop * i / 4);
      s.appendChild(lt);
      var rt = svg('text', { x: W - m.r + 6, y: y + 4, 'text-anchor': 'start' }, 'tick tick-right');
      rt.textContent = compact(rTop * i / 4);
      s.appendChild(rt);
    }
    var ul = svg('text', { x: m.l - 6, y: 12, 'text-anchor': 'end' }, 'unit');
    ul.textContent = 'people';
    s.appendChild(ul);
    var ur = svg('text', { x: W - m.r + 6, y: 12, 'text-anchor': 'start' }, 'unit tick-right');
    ur.textContent = '/min';
    s.appendChild(ur);

    // Time labels at whole 10 (narrow: 20) minutes.
    var every = (pw < 360 ? 20 : 10) * 60000;
    for (var t = Math.ceil(start / every) * every; t <= end; t += every) {
      var tx = r1(x(t));
      s.appendChild(svg('line', { x1: tx, x2: tx, y1: m.t + ph, y2: m.t + ph + 4 }, 'axis'));
      var label = svg('text', { x: tx, y: H - 6, 'text-anchor': 'middle' }, 'tick');
      label.textContent = clock(new Date(t));
      s.appendChild(label);
    }

    if (!points.length) {
      var empty = svg('text', { x: r1(m.l + pw / 2), y: r1(m.t + ph / 2), 'text-anchor': 'middle' }, 'empty');
      empty.textContent = 'collecting…';
      s.appendChild(empty);
      s.setAttribute('aria-label', 'Last hour: no data yet, collecting.');
      return;
    }

    // One path per series (a point per minute, from the store); a missing minute breaks the line.
    [['capacity', yl], ['queued', yl], ['active', yl], ['admittedPerMinute', yr]].forEach(function (sr) {
      var key = sr[0], y = sr[1], d = '', prev = null, last = null;
      points.forEach(function (p, j) {
        if (times[j] < start || !isNum(p[key])) { prev = null; return; }
        var px = r1(x(times[j])), py = r1(y(Math.max(0, p[key])));
        d += (prev === null || times[j] - prev > 90000 ? 'M' : 'L') + px + ' ' + py + ' ';
        prev = times[j];
        last = [px, py];
      });
      var path = svg('path', { d: d.trim() || 'M0 0', fill: 'none' }, 'line s-' + key);
      path.setAttribute('data-series', key);
      s.appendChild(path);
      if (last) s.appendChild(svg('circle', { cx: last[0], cy: last[1], r: key === 'capacity' ? 2 : 3 }, 'dot s-' + key));
    });

    // Under a minute of samples: say so, the lines are still short.
    if (points.length < 6) {
      var few = svg('text', { x: r1(m.l + pw / 2), y: r1(m.t + ph / 2), 'text-anchor': 'middle' }, 'empty');
      few.textContent = 'collecting… (' + points.length + (points.length === 1 ? ' sample)' : ' samples)');
      s.appendChild(few);
    }

    var p = points[points.length - 1];
    s.setAttribute('aria-label', 'Last hour, latest at ' + clock(new Date(end)) + ': ' + int(p.queued) + ' queued, ' + int(p.active) +
      ' active of ' + int(p.capacity) + ', ' + dec(p.admittedPerMinute) + ' admitted per minute.');
  }

  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      Object.keys(cards).forEach(function (k) { if (cards[k].points) drawChart(cards[k]); });
    }, 150);
  });

  // ---------- backends ----------
  function loadBackends() {
    return load('backends', 'backends', function (d) { return d && Array.isArray(d.destinations); }, renderBackends);
  }

  function renderBackends(d) {
    setText($('lb-policy'), d.loadBalancing || '–');
    setText($('lb-sticky'), d.sticky === true ? 'on' : d.sticky === false ? 'off' : '–');
    setText($('lb-health-path'), d.healthCheckPath || 'none (passive only)');
    activeChecks = typeof d.healthCheckPath === 'string' && d.healthCheckPath !== '';
    var seen = {};
    var before = backendsBody.firstElementChild;
    d.destinations.forEach(function (dest) {
      if (!dest || typeof dest.id !== 'string') return;
      seen[dest.id] = true;
      var row = rows[dest.id] || (rows[dest.id] = backendRow(dest.id));
      if (row.el !== before) backendsBody.insertBefore(row.el, before); else before = before.nextElementSibling;
      renderBackend(row, dest);
    });
    Object.keys(rows).forEach(function (id) {
      if (!seen[id]) { backendsBody.removeChild(rows[id].el); delete rows[id]; }
    });
    var noCluster = d.cluster === false;
    setText(backendsEmpty, noCluster
      ? 'No backend cluster: WR_BACKEND_URL is unset, so the built-in demo origin answers. Set it to proxy to your own backends.'
      : 'No destinations: every request gets the "temporarily unavailable" page until one is added.');
    show(backendsEmpty, d.destinations.length === 0);
    show(backendsBody.parentNode, d.destinations.length > 0);
    show($('backend-add'), !noCluster);
  }

  function backendRow(id) {
    var r = { id: id, f: {} };
    var tr = el('tr');
    tr.setAttribute('data-backend', id);
    r.el = tr;
    var cell = function (name, cls, label) {
      var td = el('td', cls);
      td.setAttribute('data-field', name);
      if (label) td.setAttribute('data-label', label);
      tr.appendChild(td);
      return td;
    };
    cell('id', 'mono').textContent = id;
    r.f.address = cell('address', 'mono addr');
    var h = cell('health', 'health');
    r.dot = el('span', 'dot');
    r.dot.setAttribute('aria-hidden', 'true');
    r.healthText = el('span', 'health-text');
    r.healthSub = el('span', 'sub');
    h.appendChild(r.dot);
    h.appendChild(r.healthText);
    h.appendChild(r.healthSub);
    r.f.health = h;
    r.f.requests = cell('requests', 'num', 'Requests');
    r.f.inflight = cell('inflight', 'num', 'In flight');
    r.f.disabled = cell('disabled', '', 'Traffic');
    var actions = el('td', 'actions');
    r.toggle = el('button', 'button small secondary', 'Disable');
    r.toggle.type = 'button';
    r.toggle.setAttribute('data-action', 'toggle');
    r.remove = el('button', 'button small danger', 'Remove');
    r.remove.type = 'button';
    r.remove.setAttribute('data-action', 'remove');
    actions.appendChild(r.toggle);
    actions.appendChild(r.remove);
    tr.appendChild(actions);

    r.toggle.addEventListener('click', function () {
      var enable = r.disabled === true;
      backendAction(r, 'POST', 'backends/' + encodeURIComponent(id) + (enable ? '/enable' : '/disable'), enable ? 'Enabled ' + id + '.' : 'Disabled ' + id + ': it takes no traffic.');
    });
    r.remove.addEventListener('click', function () {
      if (!window.confirm('Remove backend ' + id + ' (' + (r.address || '') + ')?\n\nIt stops getting traffic at once.')) return;
      backendAction(r, 'DELETE', 'backends/' + encodeURIComponent(id), 'Removed ' + id + '.');
    });
    return r;
  }

  function backendAction(r, method, path, okText) {
    r.toggle.disabled = r.remove.disabled = true;
    api(method, path).then(function (res) {
      r.toggle.disabled = r.remove.disabled = false;
      if (!res.ok) return result(backendResult, false, message(res));
      result(backendResult, true, okText);
      return loadBackends();
    }, function (e) {
      r.toggle.disabled = r.remove.disabled = false;
      if (e !== STALE) result(backendResult, false, message(null));
    }).catch(function () { /* the poll retries */ });
  }

  function health(v) { return v === 'healthy' || v === 'unhealthy' ? v : 'unknown'; }

  function renderBackend(r, d) {
    r.address = typeof d.address === 'string' ? d.address : '';
    setText(r.f.address, r.address);
    var h = health(d.health);
    r.f.health.setAttribute('data-value', h);
    r.dot.className = 'dot ' + h;
    setText(r.healthText, h);
    // Without a health check path there are no active probes: only the passive half means something.
    setText(r.healthSub, (activeChecks ? 'active ' + health(d.activeHealth) + ' · ' : '') + 'passive ' + health(d.passiveHealth));
    num(r.f.requests, d.requests, int(d.requests));
    num(r.f.inflight, d.concurrentRequests, int(d.concurrentRequests));
    r.disabled = d.disabled === true;
    r.f.disabled.setAttribute('data-value', String(r.disabled));
    setText(r.f.disabled, r.disabled ? 'disabled' : 'enabled');
    r.el.classList.toggle('off', r.disabled);
    setText(r.toggle, r.disabled ? 'Enable' : 'Disable');
  }

  addForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var address = addressInput.value.trim();
    if (!address) return result(backendResult, false, 'Enter an address such as http://10.0.0.6:8080.');
    var b = addForm.querySelector('button');
    b.disabled = true;
    api('POST', 'backends', { address: address }).then(function (r) {
      b.disabled = false;
      if (!r.ok) return result(backendResult, false, message(r));
      addressInput.value = '';
      result(backendResult, true, 'Added ' + (r.data && r.data.id ? r.data.id : 'the backend') + '.');
      return loadBackends();
    }, function (err) {
      b.disabled = false;
      if (err !== STALE) result(backendResult, false, message(null));
    }).catch(function () { /* the poll retries */ });
  });

  // Polls again at once when a hidden tab comes back.
  document.addEventListener('visibilitychange', function () {
    if (document.hidden || !token) return;
    if (loops.rooms) loops.rooms();
    if (loops.backends) loops.backends();
  });

  // ---------- start ----------
  var kept = readToken();
  if (kept) signIn(kept); else signOut('');
})();
