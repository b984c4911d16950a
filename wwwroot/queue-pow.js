/* The waiting room's proof of work, run in a Web Worker by queue.js. Finds a decimal nonce such that
   SHA-256 of the UTF-8 bytes "<challenge>.<nonce>" starts with `difficulty` zero bits (the public
   protocol in the README). Two engines: crypto.subtle where the page is a secure context (HTTPS,
   localhost), and a small SHA-256 of its own (plain HTTP on a public host has no crypto.subtle). With
   both at hand, each searches for 40 ms and the faster goes on: in Chromium the own one is 5 to 9
   times faster for such short inputs (bench/Tool pow), but a browser without a JIT (hardened modes)
   runs it far slower, and there crypto.subtle wins.
   In:  { challenge: string, difficulty: bits, engine?: 'subtle' | 'js' (default: the faster) }
   Out: { progress: 0..1, tried } about every 100 ms, then { nonce: "123", tried, ms, engine } or { error }. */
(function () {
  'use strict';
  var subtle = self.crypto && self.crypto.subtle && typeof self.crypto.subtle.digest === 'function' ? self.crypto.subtle : null;
  var enc = new TextEncoder();

  function hasZeros(h, bits) {
    var full = bits >> 3, rest = bits & 7, i;
    for (i = 0; i < full; i++) if (h[i] !== 0) return false;
    return rest === 0 || (h[full] >> (8 - rest)) === 0;
  }

  // SHA-256 (FIPS 180-4) for short messages, only where crypto.subtle is missing.
  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
  var W = new Uint32Array(64), H = new Uint32Array(8), OUT = new Uint8Array(32), BLOCK = new Uint8Array(64);
  function sha256(msg) {
    var len = msg.length, blocks = (len + 9 + 63) >> 6, i, t, o;
    var buf = blocks * 64 === BLOCK.length ? BLOCK : new Uint8Array(blocks * 64);
    buf.fill(0);
    buf.set(msg);
    buf[len] = 0x80;
    var bits = len * 8, end = buf.length;
    buf[end - 4] = bits >>> 24; buf[end - 3] = bits >>> 16; buf[end - 2] = bits >>> 8; buf[end - 1] = bits;
    H[0] = 0x6a09e667; H[1] = 0xbb67ae85; H[2] = 0x3c6ef372; H[3] = 0xa54ff53a;
    H[4] = 0x510e527f; H[5] = 0x9b05688c; H[6] = 0x1f83d9ab; H[7] = 0x5be0cd19;
    for (o = 0; o < end; o += 64) {
      for (t = 0; t < 16; t++) W[t] = (buf[o + 4 * t] << 24) | (buf[o + 4 * t + 1] << 16) | (buf[o + 4 * t + 2] << 8) | buf[o + 4 * t + 3];
      for (t = 16; t < 64; t++) {
        var x = W[t - 15], y = W[t - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
      }
      var a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
      for (t = 0; t < 64; t++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[t] + W[t]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
    }
    for (i = 0; i < 8; i++) {
      OUT[4 * i] = H[i] >>> 24; OUT[4 * i + 1] = H[i] >>> 16; OUT[4 * i + 2] = H[i] >>> 8; OUT[4 * i + 3] = H[i];
    }
    return OUT;
  }

  self.onmessage = function (event) {
    var m = event.data || {}, challenge = typeof m.challenge === 'string' ? m.challenge : '', bits = m.difficulty | 0;
    if (!challenge || bits < 1 || bits > 32) { self.postMessage({ error: 'bad-challenge' }); return; }
    var engine = !subtle || m.engine === 'js' ? 'js' : m.engine === 'subtle' ? 'subtle' : 'race';
    var tried = 0, expected = Math.pow(2, bits), started = Date.now(), reported = started, over = false;

    // "<challenge>." encoded once; each nonce's digits are written after it in place (no string, no allocation).
    var prefix = enc.encode(challenge + '.'), buf = new Uint8Array(prefix.length + 20);
    buf.set(prefix);
    function message(nonce) {
      var digits = String(nonce), i;
      for (i = 0; i < digits.length; i++) buf[prefix.length + i] = digits.charCodeAt(i);
      return buf.subarray(0, prefix.length + digits.length);
    }
    function report() {
      var now = Date.now();
      if (now - reported < 100) return;
      reported = now;
      // The chance a solution would have turned up by now: a smooth bar for a search with no fixed length.
      self.postMessage({ progress: 1 - Math.exp(-tried / expected), tried: tried });
    }
    function found(nonce, by) {
      over = true;
      self.postMessage({ nonce: String(nonce), tried: tried, ms: Date.now() - started, engine: by });
    }

    // The own engine searches nonces from 0 up, crypto.subtle from 10^12 up: the race wastes no hash.
    var jsNext = 0, subtleNext = 1e12;
    function runJs(until) {
      while (!over) {
        var end = jsNext + 2048;
        for (; jsNext < end; jsNext++) {
          tried++;
          if (hasZeros(sha256(message(jsNext)), bits)) return found(jsNext, 'js');
        }
        report();
        if (until && Date.now() >= until) return;
      }
    }
    // Many digests in flight at once: one at a time would wait on a promise per hash.
    var BATCH = 256;
    function runSubtle(until, then) {
      var base = subtleNext, work = new Array(BATCH), i;
      // digest() copies its input when called (WebCrypto), so the one buffer serves the whole batch.
      for (i = 0; i < BATCH; i++) work[i] = subtle.digest('SHA-256', message(base + i));
      subtleNext = base + BATCH;
      Promise.all(work).then(function (hashes) {
        if (over) return;
        for (var j = 0; j < hashes.length; j++) {
          if (hasZeros(new Uint8Array(hashes[j]), bits)) { tried += j + 1; return found(base + j, 'subtle'); }
        }
        tried += BATCH;
        report();
        if (until && Date.now() >= until) return then();
        runSubtle(until, then);
      }, function () { if (!over) { engine = 'js'; runJs(0); } });
    }

    if (engine === 'js') { runJs(0); return; }
    if (engine === 'subtle') { runSubtle(0); return; }
    var t0 = Date.now();
    runJs(t0 + 40);
    if (over) return;
    var jsRate = jsNext / Math.max(1, Date.now() - t0), t1 = Date.now();
    runSubtle(t1 + 40, function () {
      var subtleRate = (subtleNext - 1e12) / Math.max(1, Date.now() - t1);
      if (subtleRate > jsRate) runSubtle(0); else runJs(0);
    });
  };
})();
