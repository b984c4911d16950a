(function () {
  'use strict';
  try {
    var root = document.getElementById('wr');
    if (!root) return;
    var $ = function (id) { return document.getElementById(id); };
    var posEl = $('wr-position'), aheadEl = $('wr-ahead'), aheadLbl = $('wr-ahead-label'),
      waitEl = $('wr-wait'), lenEl = $('wr-length'), updEl = $('wr-updated'),
      barEl = $('wr-progress'), noticeEl = $('wr-notice');
    // Phrases come from the page: data-text (the server writes the visitor's language there from
    // wwwroot/i18n), or an operator's own <script type="application/json" id="wr-text">; English
    // for what neither has. The older names of five phrases are still read from a custom page.
    var T = {
      notice: 'We can\u2019t reach the waiting room right now \u2014 still trying. You keep your place.',
      calculating: 'calculating\u2026', lessThanAMinute: 'less than a minute',
      aboutOneMinute: 'about 1 minute', aboutMinutes: 'about {n} minutes',
      aboutOneHour: 'about 1 hour', aboutHours: 'about {n} hours',
      aheadOne: 'person ahead of you', aheadMany: 'people ahead of you',
      percent: '{n}% of the way', justJoined: 'Just joined', opensOn: 'Opens on',
      powWorking: 'Checking\u2026 {n}%', powSending: 'Done \u2014 one moment\u2026',
      powFailed: 'Your browser could not complete the check. Please allow JavaScript and cookies for this site, then reload the page.',
      yourTurnTitle: 'It\u2019s your turn!', yourTurnBody: 'You can go to the site now.',
      notifyOn: 'You will get a notification when it\u2019s your turn.',
      notifyBlocked: 'Notifications are blocked for this site in your browser.'
    };
    var ALIAS = { lessThanMinute: 'lessThanAMinute', aboutMinute: 'aboutOneMinute', aboutHour: 'aboutOneHour', personAhead: 'aheadOne', peopleAhead: 'aheadMany' };
    var take = function (json) {
      try {
        var custom = JSON.parse(json || '{}');
        for (var k in custom) {
          var key = ALIAS[k] || k;
          if (Object.prototype.hasOwnProperty.call(T, key) && typeof custom[k] === 'string') T[key] = custom[k];
        }
      } catch (e) { /* keep what there is */ }
    };
    take(root.getAttribute('data-text'));
    take(($('wr-text') || {}).textContent);
    var fmt = function (s, n) { return s.replace('{n}', String(n)); };
    var NOTICE = T.notice;

    var toInt = function (v) { var n = parseInt(v, 10); return isFinite(n) ? n : NaN; };
    var isNum = function (v) { return typeof v === 'number' && isFinite(v); };
    var basePoll = toInt(root.getAttribute('data-poll'));
    if (!(basePoll > 0)) basePoll = 5;
    basePoll = Math.min(basePoll, 300);
    var statusUrl = root.getAttribute('data-status-url') || '/_wr/status';
    var target = safe(root.getAttribute('data-target'));
    var start = toInt(root.getAttribute('data-position'));
    if (!(start > 0)) start = 0;

    // How the server rendered this page (queue mode, event phase). When a poll reports other
    // values, the page reloads so the server can render the new heading and explanations. A page
    // without these attributes (a custom WR_QUEUE_PAGE) never reloads for this.
    var word = function (v) { v = typeof v === 'string' ? v.toLowerCase() : ''; return /^[a-z][a-z-]*$/.test(v) ? v : ''; };
    var pageMode = word(root.getAttribute('data-mode')), pagePhase = word(root.getAttribute('data-phase'));

    var HIDDEN_POLL = 20, RELOAD_KEY = 'wr-reload', loadedAt = new Date().getTime();
    var held = false, holdTimer = null, lastWait = 0;
    var timer = null, inFlight = false, done = false, failures = 0, notBefore = 0;

    function safe(t) {
      if (typeof t !== 'string' || t.charAt(0) !== '/' || t.charAt(1) === '/' || t.charAt(1) === '\\' ||
          /[\u0000-\u001f\u007f\s]/.test(t)) return '/';
      try { if (new URL(t, location.href).origin !== location.origin) return '/'; } catch (e) { return '/'; }
      return t;
    }
    function setText(el, txt) { if (el && el.textContent !== txt) el.textContent = txt; }
    function waitText(s) {
      if (!isNum(s) || s < 0) return T.calculating;
      if (s < 60) return T.lessThanMinute;
      var m = Math.round(s / 60);
      if (m < 60) return m === 1 ? T.aboutMinute : fmt(T.aboutMinutes, m);
      var h = Math.round(s / 3600);
      return h === 1 ? T.aboutHour : fmt(T.aboutHours, h);
    }
    // The browser's own variant of the page's language (en-GB for en), else the page's language:
    // times read like the page around them, also in a browser set to another language.
    function pageLocales() {
      var page = word(document.documentElement.getAttribute('lang')), nav = '';
      try { nav = String((navigator.languages && navigator.languages[0]) || navigator.language || ''); } catch (e) { /* none */ }
      return !page ? [] : nav.toLowerCase() === page || nav.toLowerCase().indexOf(page + '-') === 0 ? [nav, page] : [page];
    }
    function stamp(d) {
      if (!updEl || isNaN(d.getTime())) return;
      updEl.setAttribute('datetime', d.toISOString());
      var opts = { hour: '2-digit', minute: '2-digit', second: '2-digit' }, txt;
      try { txt = d.toLocaleTimeString(pageLocales(), opts); } catch (e) { txt = d.toLocaleTimeString(); }
      setText(updEl, txt);
    }
    function progress(pos) {
      if (!barEl) return;
      if (!start && pos > 0) start = pos;
      var pct = start > 0 && pos > 0 ? Math.round((start - pos) / start * 100) : 0;
      pct = Math.max(0, Math.min(100, pct));
      barEl.setAttribute('aria-valuenow', String(pct));
      barEl.setAttribute('aria-valuetext', pct ? fmt(T.percent, pct) : T.justJoined);
      var fill = barEl.firstElementChild;
      if (fill) fill.style.width = pct + '%';
    }
    function render(d) {
      var pos = isNum(d.position) ? Math.max(0, Math.round(d.position)) : NaN;
      if (!isNaN(pos)) {
        var ahead = Math.max(0, pos - 1);
        setText(posEl, String(pos));
        setText(aheadEl, String(ahead));
        setText(aheadLbl, ahead === 1 ? T.aheadOne : T.aheadMany);
        progress(pos);
      }
      if (isNum(d.queueLength)) setText(lenEl, String(Math.max(0, Math.round(d.queueLength))));
      setText(waitEl, waitText(d.estimatedWaitSeconds));
      stamp(new Date());
    }
    function changed(d) {
      var m = word(d.mode), p = word(d.phase);
      return !!(pagePhase && p && p !== pagePhase) || !!(pageMode && m && m !== pageMode);
    }
    // Reloads the page unless that would be a loop: at most one reload per 10 s, and the n-th
    // reload in a row (within 10 min) waits 10 s * 2^(n-1), at most 5 min. Without
    // sessionStorage the page must have been open 10 s. False when the reload was held back.
    function reloadOnce() {
      var now = new Date().getTime(), allowed = false;
      try {
        var was = String(window.sessionStorage.getItem(RELOAD_KEY) || '').split(',');
        var last = parseInt(was[0], 10) || 0, n = parseInt(was[1], 10) || 0;
        if (!last || now < last || now - last > 600000) n = 0;
        allowed = !last || now < last || now - last >= Math.min(300000, 10000 * Math.pow(2, Math.min(n, 5)));
        if (allowed) window.sessionStorage.setItem(RELOAD_KEY, now + ',' + (n + 1));
      } catch (e) {
        allowed = now - loadedAt >= 10000;
      }
      if (!allowed) return false;
      done = true;
      clearTimeout(timer);
      timer = null;
      try { location.reload(); } catch (e) { done = false; return false; }
      return true;
    }
    function go() {
      done = true;
      held = false;
      clearTimeout(timer);
      clearTimeout(holdTimer);
      try { location.replace(target); } catch (e) { location.href = '/'; }
    }
    // Hidden tabs slow down to a keep-alive instead of stopping: a queued visitor who stops
    // polling for WR_QUEUE_TTL (default 300 s) loses its place, and a released one its slot.
    // The server keeps pollAfterSeconds at or under a third of WR_QUEUE_TTL, so twice that
    // (capped at 20 s) is still well inside the TTL.
    function schedule(sec, exact) {
      clearTimeout(timer);
      timer = null;
      if (done) return;
      if (document.hidden) sec = Math.max(sec, Math.min(HIDDEN_POLL, sec * 2));
      var ms = Math.max(1, sec) * 1000 * (exact ? 1 + Math.random() * 0.2 : 0.8 + Math.random() * 0.4);
      lastWait = ms / 1000;
      timer = setTimeout(poll, ms);
    }
    function retryAfter(res) {
      var h = res && res.headers && res.headers.get('Retry-After');
      if (!h) return 0;
      var s = /^\s*\d+\s*$/.test(h) ? parseInt(h, 10) : (Date.parse(h) - Date.now()) / 1000;
      return isFinite(s) && s > 0 ? Math.min(s, 600) : 0;
    }
    function fail(res) {
      failures++;
      setText(noticeEl, NOTICE);
      var ra = retryAfter(res);
      if (ra) {
        notBefore = Date.now() + ra * 1000;
        schedule(ra, true);
      } else {
        notBefore = 0;
        schedule(Math.min(60, basePoll * Math.pow(2, Math.min(failures, 10))));
      }
    }
    function ok(d) {
      failures = 0;
      notBefore = 0;
      setText(noticeEl, '');
      render(d);
      var next = isNum(d.pollAfterSeconds) && d.pollAfterSeconds > 0 ? Math.min(d.pollAfterSeconds, 300) : basePoll;
      schedule(next);
    }
    function poll() {
      clearTimeout(timer);
      timer = null;
      if (done || inFlight) return;
      inFlight = true;
      var ctl = typeof AbortController === 'function' ? new AbortController() : null;
      var kill = ctl ? setTimeout(function () { ctl.abort(); }, 15000) : null;
      var resp = null;
      fetch(statusUrl, {
        credentials: 'same-origin', cache: 'no-store', redirect: 'follow',
        headers: { Accept: 'application/json' }, signal: ctl ? ctl.signal : undefined
      }).then(function (res) {
        resp = res;
        var ct = res.headers.get('Content-Type') || '';
        if (ct.indexOf('json') < 0) return null;
        return res.json().catch(function () { return null; });
      }).then(function (d) {
        clearTimeout(kill);
        inFlight = false;
        if (!d || typeof d !== 'object' || typeof d.state !== 'string') return fail(resp);
        var st = d.state.toLowerCase();
        if (resp.ok && (st === 'active' || st === 'released')) return admitted(st);
        if (resp.ok && st === 'unknown') return go();
        if (st === 'rejected') {
          // The room closed (reject mode): the server now answers with its "full" page.
          if (!reloadOnce()) { var ra = retryAfter(resp); schedule(Math.max(basePoll, ra), !!ra); }
          return;
        }
        if (st === 'queued') return changed(d) && reloadOnce() ? undefined : ok(d);
        fail(resp);
      }).catch(function () {
        clearTimeout(kill);
        inFlight = false;
        fail(resp);
      }).catch(function () { inFlight = false; });
    }

    // "Your turn": admitted while the tab is in the background, the page says so where the visitor
    // will look (the tab's title), with a short chime if they turned sound on and a notification if
    // they opted in (permission is asked only on their click, never on load). A released visitor's
    // page then waits for them to come back, so the slot is claimed by a person, not an empty tab;
    // it still moves on by itself about 15 s before the admission window (data-admission-window) ends.
    var SOUND_KEY = 'wr-sound', NOTIFY_KEY = 'wr-notify';
    var AC = window.AudioContext || window.webkitAudioContext, N = window.Notification, audio = null, asked = false;
    var soundBtn = $('wr-sound'), notifyBtn = $('wr-notify'), alertsEl = $('wr-alerts'), alertStatus = $('wr-alert-status');
    function pref(k) { try { return window.localStorage.getItem(k) === '1'; } catch (e) { return false; } }
    function setPref(k, on) { try { if (on) window.localStorage.setItem(k, '1'); else window.localStorage.removeItem(k); } catch (e) { /* this visit only */ } }
    var soundOn = pref(SOUND_KEY);
    function chime() {
      if (!AC) return;
      try {
        if (!audio) audio = new AC();
        if (audio.state === 'suspended' && audio.resume) audio.resume();
        // Two soft sine notes, about half a second in all: a chime, not an alarm; no audio file.
        var t = audio.currentTime;
        [880, 1318.5].forEach(function (f, i) {
          var o = audio.createOscillator(), g = audio.createGain(), at = t + i * 0.18;
          o.type = 'sine';
          o.frequency.value = f;
          g.gain.setValueAtTime(0.0001, at);
          g.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
          g.gain.exponentialRampToValueAtTime(0.0001, at + 0.3);
          o.connect(g);
          g.connect(audio.destination);
          o.start(at);
          o.stop(at + 0.32);
        });
      } catch (e) { /* no sound, the rest still works */ }
    }
    function notifyState() {
      if (typeof N !== 'function') return 'none';
      if (N.permission === 'denied') return 'blocked';
      return N.permission === 'granted' && pref(NOTIFY_KEY) ? 'on' : 'off';
    }
    function showAlerts() {
      var s = notifyState();
      if (soundBtn) { soundBtn.hidden = !AC; soundBtn.setAttribute('aria-pressed', soundOn ? 'true' : 'false'); }
      if (notifyBtn) { notifyBtn.hidden = s === 'none'; notifyBtn.setAttribute('aria-pressed', s === 'on' ? 'true' : 'false'); }
      setText(alertStatus, s === 'on' ? T.notifyOn : s === 'blocked' && asked ? T.notifyBlocked : '');
      if (alertsEl) alertsEl.hidden = !AC && s === 'none';
    }
    function notify() {
      if (notifyState() !== 'on') return;
      try {
        var n = new N(T.yourTurnTitle, { body: T.yourTurnBody, tag: 'wr-turn', lang: document.documentElement.lang || '', dir: document.documentElement.dir === 'rtl' ? 'rtl' : 'auto' });
        n.onclick = function () { try { window.focus(); n.close(); } catch (e) { /* the page moves on anyway */ } go(); };
      } catch (e) { /* e.g. Android, where only a service worker may show one */ }
    }
    if (soundBtn) soundBtn.addEventListener('click', function () {
      soundOn = !soundOn;
      setPref(SOUND_KEY, soundOn);
      // Made inside the click, the audio context may play later without another gesture; the chime
      // lets the visitor hear what they turned on.
      if (soundOn) chime();
      showAlerts();
    });
    if (notifyBtn) notifyBtn.addEventListener('click', function () {
      asked = true;
      if (notifyState() === 'on') { setPref(NOTIFY_KEY, false); return showAlerts(); }
      var answered = function (p) { if (p === 'granted') setPref(NOTIFY_KEY, true); showAlerts(); };
      if (N.permission === 'granted') return answered('granted');
      try {
        var r = N.requestPermission(answered);
        if (r && typeof r.then === 'function') r.then(answered, showAlerts);
      } catch (e) { showAlerts(); }
    });
    function admitted(st) {
      if (!document.hidden) return go();
      done = true;
      clearTimeout(timer);
      try { document.title = T.yourTurnTitle; } catch (e) { /* keep the title */ }
      if (soundOn) chime();
      notify();
      if (st !== 'released') return go();
      held = true;
      root.setAttribute('data-turn', 'ready');
      var turn = $('wr-turn');
      if (turn) turn.hidden = false;
      // The release may be up to one poll old: the hold ends 15 s before the window does, counted from then.
      var win = toInt(root.getAttribute('data-admission-window'));
      holdTimer = setTimeout(go, Math.max(0, (win > 0 ? win : 30) - 15 - lastWait) * 1000);
    }
    showAlerts();

    // WR_POW: a newcomer's page first proves a little work (the protocol is in the README). A Web
    // Worker finds the nonce; the page sends it once, with the URL the visitor asked for, then loads
    // that URL normally (queued or on the site). It never polls: without a place there is nothing to poll.
    var powBar = $('wr-pow-progress'), powStatus = $('wr-pow-status');
    function powShow(p) {
      var pct = Math.max(0, Math.min(100, Math.floor(p * 100)));
      if (powBar) {
        powBar.setAttribute('aria-valuenow', String(pct));
        var fill = powBar.firstElementChild;
        if (fill) fill.style.width = pct + '%';
      }
      setText(powStatus, fmt(T.powWorking, pct));
    }
    function powFailed() {
      done = true;
      root.setAttribute('data-pow', 'failed');
      setText(powStatus, '');
      setText(noticeEl, T.powFailed);
    }
    function powSolve(challenge, bits, attempt) {
      var worker;
      if (!(bits > 0) || typeof Worker !== 'function' || typeof window.fetch !== 'function') return powFailed();
      try { worker = new Worker(root.getAttribute('data-pow-worker') || '/_wr/assets/queue-pow.js'); } catch (e) { return powFailed(); }
      root.setAttribute('data-pow', 'solving');
      worker.onerror = function () { worker.terminate(); powFailed(); };
      worker.onmessage = function (e) {
        var m = e.data || {};
        if (typeof m.progress === 'number') powShow(Math.min(m.progress, 0.99));
        if (m.error) { worker.terminate(); powFailed(); }
        if (typeof m.nonce === 'string' && /^\d{1,20}$/.test(m.nonce)) {
          worker.terminate();
          powShow(1);
          root.setAttribute('data-pow-ms', String(m.ms));
          powSend(challenge + '.' + m.nonce, attempt, 1);
        }
      };
      powShow(0);
      worker.postMessage({ challenge: challenge, difficulty: bits });
    }
    function powSend(proof, attempt, tries) {
      root.setAttribute('data-pow', 'sending');
      setText(powStatus, T.powSending);
      fetch(target, {
        credentials: 'same-origin', cache: 'no-store', redirect: 'follow',
        headers: { Accept: 'application/json', 'WR-PoW': proof }
      }).then(function (res) {
        var ct = res.headers.get('Content-Type') || '';
        return ct.indexOf('json') < 0 ? null : res.json().catch(function () { return null; });
      }).then(function (d) {
        if (d && d.state === 'challenge' && typeof d.challenge === 'string') {
          // Refused (its window passed, or the cookie did not stick): a fresh one, a few times at most.
          if (attempt >= 3) return powFailed();
          return powSolve(d.challenge, toInt(d.difficulty), attempt + 1);
        }
        go();
      }, function () {
        // The network failed: the solution stays good for a minute, so the same one is sent again.
        if (tries >= 3) return go();
        setText(noticeEl, NOTICE);
        setTimeout(function () { powSend(proof, attempt, tries + 1); }, 2000 * tries);
      });
    }
    var powChallenge = root.getAttribute('data-challenge') || '';
    if (powChallenge) {
      powSolve(powChallenge, toInt(root.getAttribute('data-difficulty')), 1);
      return;
    }

    if (typeof window.fetch !== 'function') {
      setTimeout(function () { location.reload(); }, basePoll * 1000);
      return;
    }
    document.addEventListener('visibilitychange', function () {
      if (held && !document.hidden) return go();
      if (done || document.hidden || inFlight) return;
      clearTimeout(timer);
      var wait = notBefore - Date.now();
      if (wait > 0) timer = setTimeout(poll, wait); else poll();
    });
    window.addEventListener('pageshow', function (e) { if (e.persisted && !done && !document.hidden) poll(); });

    // The scheduled opening (datetime in UTC) in the visitor's own time; the line is hidden by
    // CSS when there is none, and here once it has passed.
    function eventStart() {
      var el = $('wr-event-start');
      var iso = el && el.getAttribute('datetime');
      if (!iso) return;
      var t = new Date(iso), now = new Date();
      if (isNaN(t.getTime())) return;
      if (t.getTime() < now.getTime() - 60000) {
        if (el.parentNode && el.parentNode.nodeType === 1) el.parentNode.setAttribute('hidden', '');
        return;
      }
      var today = t.toDateString() === now.toDateString();
      var opts = { hour: '2-digit', minute: '2-digit', timeZoneName: 'short' };
      if (!today) { opts.weekday = 'short'; opts.day = 'numeric'; opts.month = 'short'; }
      if (t.getFullYear() !== now.getFullYear()) opts.year = 'numeric';
      var loc = pageLocales(), txt = '';
      try { txt = today ? t.toLocaleTimeString(loc, opts) : t.toLocaleString(loc, opts); } catch (e) {
        try { txt = today ? t.toLocaleTimeString() : t.toLocaleString(); } catch (e2) { txt = ''; }
      }
      if (!txt) return;
      if (!today) setText($('wr-event-label'), T.opensOn);
      setText(el, txt);
    }
    try { eventStart(); } catch (e) { /* keep the server's text */ }

    if (updEl) stamp(new Date(updEl.getAttribute('datetime') || ''));
    progress(toInt(posEl && posEl.textContent));
    schedule(basePoll);
  } catch (e) { /* never let the waiting room page break */ }
})();
