"""The report's inline stylesheet and script: everything the page needs is in the file.

System fonts only (no web font is fetched); colours print well on white. The script sorts
the trade list by a clicked column and, once it has run, marks the page ``data-ok`` (a
browser that hit an error in it leaves the mark off, which the tests look for).
"""

from __future__ import annotations

CSS = """
:root { --ink:#1d2330; --muted:#5d6678; --line:#dde2ea; --soft:#f5f7fa; --accent:#1f5fbf;
  --up:#15803d; --down:#c2412d; }
* { box-sizing: border-box; }
body { margin:0; background:#fff; color:var(--ink);
  font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; }
header.top { background:#17202f; color:#fff; padding:22px 32px 18px; }
header.top h1 { margin:0 0 4px; font-size:22px; font-weight:600; }
header.top .sub { color:#b8c2d3; font-size:13px; }
header.top .status { display:inline-block; margin-left:10px; padding:1px 9px; border-radius:10px;
  font-size:12px; font-weight:600; vertical-align:3px; background:#2e3b52; color:#cfe0ff; }
header.top .status.completed { background:#1f4d33; color:#c9f2d6; }
header.top .status.bad { background:#7a2418; color:#ffd9d2; }
nav { padding:8px 32px; background:var(--soft); border-bottom:1px solid var(--line);
  font-size:13px; position:sticky; top:0; z-index:2; }
nav a { color:var(--accent); text-decoration:none; margin-right:16px; }
main { padding:8px 32px 40px; max-width:1280px; }
section { margin-top:26px; }
h2 { font-size:17px; margin:0 0 10px; padding-bottom:4px; border-bottom:2px solid var(--line); }
h3 { font-size:14px; margin:18px 0 6px; color:var(--muted); font-weight:600; }
.alert { margin:18px 0 0; padding:12px 16px; border-radius:6px; background:#fdecea;
  border:1px solid #f2b8ae; color:#7a1d10; }
.alert strong { font-size:15px; }
.alert pre { margin:8px 0 0; white-space:pre-wrap; font-size:12px; max-height:240px;
  overflow:auto; }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(128px,1fr)); gap:10px;
  margin-top:18px; }
.card { border:1px solid var(--line); border-radius:6px; padding:9px 12px; background:#fff; }
.card .k { color:var(--muted); font-size:12px; }
.card .v { font-size:20px; font-weight:600; font-variant-numeric:tabular-nums; }
.pos { color:var(--up); } .neg { color:var(--down); }
.cols { display:grid; grid-template-columns:repeat(auto-fit,minmax(380px,1fr)); gap:8px 32px; }
table { border-collapse:collapse; font-variant-numeric:tabular-nums; }
table.kv td { padding:3px 14px 3px 0; vertical-align:top; border-bottom:1px solid var(--soft); }
table.kv td:first-child { color:var(--muted); white-space:nowrap; }
table.grid { width:100%; font-size:13px; }
table.grid th, table.grid td { padding:4px 8px; border-bottom:1px solid var(--line);
  text-align:right; white-space:nowrap; }
table.grid th { background:var(--soft); font-weight:600; }
.scroll table.grid th { position:sticky; top:0; }
table.grid td.l, table.grid th.l { text-align:left; }
table.grid tbody tr:hover { background:#eef3fb; }
table.stats td.def { color:var(--muted); white-space:normal; text-align:left; font-size:12px; }
table.sortable th { cursor:pointer; user-select:none; }
table.sortable th.asc::after { content:" \\25B2"; font-size:10px; }
table.sortable th.desc::after { content:" \\25BC"; font-size:10px; }
table.monthly td { min-width:54px; }
table.monthly td.total { font-weight:600; border-left:2px solid var(--line); }
.scroll { max-height:640px; overflow:auto; border:1px solid var(--line); border-radius:4px; }
.note { color:var(--muted); font-size:12px; margin:6px 0; }
.legend { font-size:12px; color:var(--muted); margin:2px 0 4px; }
.legend span { margin-right:14px; }
svg.chart { width:100%; height:auto; display:block; background:#fff; }
svg .grid { stroke:#e8ebf0; stroke-width:1; }
svg .frame { fill:none; stroke:#c9d0db; stroke-width:1; }
svg text { font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif; fill:#5d6678; }
svg .ylab { text-anchor:end; }
svg .equity { fill:none; stroke:#1f5fbf; stroke-width:1.4; stroke-linejoin:round; }
svg .equity-fill { fill:#1f5fbf; fill-opacity:.07; stroke:none; }
svg .baseline { stroke:#8a93a3; stroke-dasharray:4 4; stroke-width:1; fill:none; }
svg .drawdown { fill:#c2412d; fill-opacity:.3; stroke:none; }
svg .drawdown-edge { fill:none; stroke:#c2412d; stroke-width:1; stroke-linejoin:round; }
svg .range { fill:#6b7a90; fill-opacity:.18; stroke:none; }
svg .close { fill:none; stroke:#2b3444; stroke-width:1; stroke-linejoin:round; }
svg .wick { stroke:#4a5363; stroke-width:1; }
svg rect.up { fill:#15803d; } svg rect.down { fill:#c2412d; }
svg .trip { stroke-width:1.3; stroke-dasharray:3 2; }
svg .trip.win { stroke:#15803d; } svg .trip.loss { stroke:#c2412d; }
svg .long { fill:#15803d; stroke:#fff; stroke-width:.8; }
svg .short { fill:#c2412d; stroke:#fff; stroke-width:.8; }
svg .open { fill-opacity:.45; }
svg .crowded { fill-opacity:.6; stroke:none; }
svg .exit { fill:#1d2330; stroke:#fff; stroke-width:.8; }
details { margin-top:10px; } summary { cursor:pointer; color:var(--accent); }
pre.source { background:var(--soft); padding:10px; border-radius:4px; font-size:12px;
  overflow:auto; max-height:480px; }
footer { color:var(--muted); font-size:12px; padding:18px 32px; border-top:1px solid var(--line); }
@media print { nav { display:none; } .scroll { max-height:none; overflow:visible; }
  section { break-inside:avoid-page; } }
"""

SCRIPT = """
(function () {
  function key(cell) {
    var v = cell.getAttribute('data-sort');
    if (v === null) { return cell.textContent; }
    var n = parseFloat(v);
    return isNaN(n) ? v : n;
  }
  function sortBy(table, th, col) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var asc = !th.classList.contains('asc');
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) { heads[i].classList.remove('asc', 'desc'); }
    th.classList.add(asc ? 'asc' : 'desc');
    rows.sort(function (a, b) {
      var x = key(a.cells[col]), y = key(b.cells[col]);
      if (x === y) { return 0; }
      return ((x < y) ? -1 : 1) * (asc ? 1 : -1);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  var tables = document.querySelectorAll('table.sortable');
  Array.prototype.forEach.call(tables, function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.title = 'Sort by ' + th.textContent;
      th.addEventListener('click', function () { sortBy(table, th, col); });
    });
  });
  document.body.setAttribute('data-ok', String(tables.length));
})();
"""
