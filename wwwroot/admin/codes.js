/*
 * Access codes on the operator dashboard: create a code (the code and its invite link are shown once:
 * the store keeps only a hash), list a room's codes with their uses, revoke one. Uses the admin API
 * beside this page with the token the dashboard keeps in this tab; no data of its own.
 */
(function () {
  'use strict';

  var TOKEN_KEY = 'wr-admin-token';
  var EVERY = 10000, TIMEOUT = 10000;
  var ERRORS = {
    'invalid-code': 'The code was not accepted:',
    'too-many-codes': 'This room holds too many codes.',
    'unknown-room': 'This room no longer exists.',
    'unknown-code': 'That code no longer exists.',
    'unauthorized': 'The admin token was not accepted.',
    'store-unavailable': 'The store (Redis) is not answering. Try again in a moment.'
  };
  var $ = function (id) { return document.getElementById(id); };
  var section = $('codes'), form = $('code-create'), roomSelect = $('code-room'), resultEl = $('code-result'),
    created = $('code-created'), body = document.querySelector('#codes tbody'), empty = $('codes-empty');
  if (!section || !form || !roomSelect || !body) return;
  var base = document.currentScript && document.currentScript.src ? new URL('./', document.currentScript.src).pathname : '/_wr/admin/';
  var timer = null;

  function token() { try { return window.sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; } }
  function text(el, t) { el.textContent = t == null ? '' : String(t); }
  function cell(row, t) { var td = document.createElement('td'); text(td, t); row.appendChild(td); return td; }

  function api(method, path, payload) {
    var t = token();
    if (!t) return Promise.reject(new Error('signed out'));
    var ctl = typeof AbortController === 'function' ? new AbortController() : null;
    var kill = ctl ? setTimeout(function () { ctl.abort(); }, TIMEOUT) : null;
    var init = { method: method, cache: 'no-store', credentials: 'same-origin', redirect: 'error', signal: ctl ? ctl.signal : undefined,
      headers: { Accept: 'application/json', Authorization: 'Bearer ' + t } };
    if (payload !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(payload); }
    return fetch(base + path, init).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        clearTimeout(kill);
        return { ok: res.ok, status: res.status, data: data };
      });
    });
  }

  function problem(r) {
    var d = r.data || {};
    var m = ERRORS[d.error] || ('The request failed (' + r.status + ').');
    return d.errors && d.errors.length ? m + ' ' + d.errors.join('; ') : m;
  }

  function say(ok, t) {
    text(resultEl, t);
    resultEl.className = 'result ' + (ok ? 'ok' : 'err');
  }

  function room() { return roomSelect.value || 'default'; }

  function loadRooms() {
    return api('GET', 'rooms').then(function (r) {
      if (!r.ok || !Array.isArray(r.data)) return;
      var names = r.data.map(function (x) { return x.name; });
      var current = Array.prototype.map.call(roomSelect.options, function (o) { return o.value; });
      if (names.join('\n') === current.join('\n')) return;
      var keep = roomSelect.value;
      roomSelect.textContent = '';
      names.forEach(function (n) { var o = document.createElement('option'); o.value = n; text(o, n); roomSelect.appendChild(o); });
      if (names.indexOf(keep) >= 0) roomSelect.value = keep;
    });
  }

  function render(list) {
    body.textContent = '';
    empty.hidden = list.length > 0;
    list.forEach(function (c) {
      var row = document.createElement('tr');
      cell(row, c.id).className = 'mono';
      cell(row, c.lane);
      cell(row, c.used + ' / ' + c.uses).className = 'num';
      cell(row, new Date(c.expiresAt).toLocaleString());
      cell(row, c.state);
      var actions = cell(row, '');
      actions.className = 'actions';
      if (!c.revoked) {
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'button small danger';
        text(b, 'Revoke');
        b.setAttribute('aria-label', 'Revoke code ' + c.id);
        b.addEventListener('click', function () { revoke(c.id, b); });
        actions.appendChild(b);
      }
      body.appendChild(row);
    });
  }

  function loadCodes() {
    return api('GET', 'rooms/' + encodeURIComponent(room()) + '/codes').then(function (r) {
      if (r.ok && Array.isArray(r.data)) render(r.data);
    });
  }

  function refresh() {
    clearTimeout(timer);
    var visible = !section.closest('[hidden]') && token();
    var work = visible ? loadRooms().then(loadCodes) : Promise.resolve();
    work.catch(function () { /* the next round retries */ }).then(function () { timer = setTimeout(refresh, EVERY); });
  }

  function revoke(id, button) {
    if (!window.confirm('Revoke code ' + id + '? Visitors can no longer redeem it; places it gave are kept.')) return;
    button.disabled = true;
    api('DELETE', 'rooms/' + encodeURIComponent(room()) + '/codes/' + encodeURIComponent(id)).then(function (r) {
      say(r.ok, r.ok ? 'Code ' + id + ' revoked.' : problem(r));
      return loadCodes();
    }, function () { say(false, 'The request failed.'); }).then(function () { button.disabled = false; });
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var expires = new Date(form.elements['expires'].value);
    if (isNaN(expires.getTime())) { say(false, 'Choose when the code expires.'); return; }
    var payload = { uses: Number(form.elements['uses'].value), expiresAt: expires.toISOString(), lane: form.elements['lane'].value };
    api('POST', 'rooms/' + encodeURIComponent(room()) + '/codes', payload).then(function (r) {
      if (!r.ok) { say(false, problem(r)); created.hidden = true; return; }
      say(true, 'Code created. It is shown only now: copy it or the link.');
      text($('code-value'), r.data.code);
      text($('code-link'), r.data.link);
      $('code-link').href = r.data.link;
      created.hidden = false;
      return loadCodes();
    }, function () { say(false, 'The request failed.'); });
  });
  roomSelect.addEventListener('change', function () { created.hidden = true; loadCodes().catch(function () { /* retried */ }); });

  // A day from now, in the field's local format, as a sensible default.
  var later = new Date(Date.now() + 86400000);
  later.setSeconds(0, 0);
  form.elements['expires'].value = new Date(later.getTime() - later.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  refresh();
}());
