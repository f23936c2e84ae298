// gen.js writes cases.jsonl.gz: random texts built from fragments that
// exercise URLs, mentions, hashtags, emoji and normalisation, with what the
// reference implementation (twitter-text 3.1.0 for JavaScript, with
// twemoji-parser 11.0.2) says of each. The Go tests compare against it.
//
//   npm install twitter-text@3.1.0 && node gen.js
//
// The random generator is seeded, so the file is reproducible.
"use strict";
const fs = require("fs");
const zlib = require("zlib");
const tt = require("twitter-text");

const frags = ["a", "b", "z", "Q", "9", "0", " ", "  ", "\n", ".", "..", ",", "!", "?", "-", "_", "/", "//", ":", "@", "＠", "#", "＃", "$",
  "&", "(", ")", "'", "\"", "`", "~", "=", "+", "%", "*", "[", "]", "|", ";", "\\",
  "http://", "https://", "hTTps://", "http:/", "www.", "foo", "example", "twitter", ".com", ".co", ".uk", ".jp", ".net", ".org",
  ".museum", ".xn--p1ai", ".рф", ".みんな", ".中国", "t.co", "t.co/", "bit.ly/abc", "abcDEF123", "xn--", "xn--ls8h", "a_b", "a-b",
  ":80", ":65535", "/path", "/p(a)th", "/a(b(c)d)e", "?x=1&y=2", "?x=(1)", "#frag", "/@user/",
  "é", "e\u0301", "\uFB2C", "ñ", "İ", "ı", "ß", "й", "Ж", "ÿ", "\u0308", "–", "—", "…", "·", "\u200C", "\u200D",
  "中", "文", "日本語", "。", "，", "한국", "ไทย", "עברית", "پاکستان", "\u3000", "\u00A0", "\u2028", "\u200B",
  "\u202A", "\u202C", "\u2066", "\u2069", "\u061C", "\u200E", "\uFFFE", "\uFEFF", "\uFFFF",
  "RT", "rt", "RT:", "@user", "＠user", "@user_name_that_is_very_long", "/list-name", "/7x", "#tag", "＃tag", "#1", "#_",
  "#tag1", "#タグ", "#\uFE0F", "#\u20E3", "$TWTR", "$BRK.A", "$a_bc", "$toolongx", "$",
  "😷", "👍", "🏽", "👍🏽", "✌", "✌️", "✌🏿", "👨‍👩‍👧‍👦", "👨‍⚕️", "👩🏾‍🚀", "🇺🇸", "🇺", "1⃣", "1️⃣", "#️⃣", "©", "©️", "™",
  "‼", "↔️", "☺", "☺︎", "☺️", "\uFE0F", "\uFE0E", "🏳️‍🌈", "🏳‍🌈", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "🀄", "🀄️", "⌚︎", "🅰", "𠀡", "𝐀"];

let seed = 20261125;
function rnd(n) { // a linear congruential generator; reproducibility is all that matters
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
}

const lines = [];
function add(count, min, spread) {
  for (let i = 0; i < count; i++) {
    let s = "";
    const k = min + rnd(spread);
    for (let j = 0; j < k; j++) s += frags[rnd(frags.length)];
    const p2 = tt.parseTweet(s, tt.configs.version2);
    const p3 = tt.parseTweet(s, tt.configs.version3);
    const res = p => [p.weightedLength, p.permillage, p.valid, p.displayRangeStart, p.displayRangeEnd, p.validRangeStart, p.validRangeEnd];
    lines.push(JSON.stringify({
      text: s,
      v2: res(p2),
      v3: res(p3),
      urls: tt.extractUrlsWithIndices(s).map(u => [u.url, u.indices[0], u.indices[1]]),
      mentions: tt.extractMentionsOrListsWithIndices(s).map(m => [m.screenName, m.listSlug, m.indices[0], m.indices[1]]),
      hashtags: tt.extractHashtagsWithIndices(s).map(h => [h.hashtag, h.indices[0], h.indices[1]]),
      cashtags: tt.extractCashtagsWithIndices(s).map(c => [c.cashtag, c.indices[0], c.indices[1]]),
      entities: tt.extractEntitiesWithIndices(s).map(e =>
        e.url !== undefined ? ["url", e.url, e.indices[0], e.indices[1]]
          : e.screenName !== undefined ? ["mention", e.screenName + e.listSlug, e.indices[0], e.indices[1]]
          : e.hashtag !== undefined ? ["hashtag", e.hashtag, e.indices[0], e.indices[1]]
          : ["cashtag", e.cashtag, e.indices[0], e.indices[1]]),
    }));
  }
}
add(3000, 1, 14);
add(100, 60, 200);
fs.writeFileSync(__dirname + "/cases.jsonl.gz", zlib.gzipSync(lines.join("\n") + "\n", { level: 9 }));
console.log(lines.length + " cases");
