// js-tiktoken is an ES module importing the CommonJS package base64-js; this shim stands in for it
// (served as bench-js-tiktoken/base64.js; run.py's site copy points js-tiktoken's imports here).
export function toByteArray(s) { const b = atob(s); const a = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) a[i] = b.charCodeAt(i); return a; }
export function fromByteArray(a) { let s = ""; for (let i = 0; i < a.length; i++) s += String.fromCharCode(a[i]); return btoa(s); }
export default { toByteArray, fromByteArray };
