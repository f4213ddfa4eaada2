"""The page's inline CSS and JS, its navigation, and the Content-Security-Policy that pins
the script by hash."""

from __future__ import annotations

import base64
import hashlib

__all__ = [
    "CSS",
    "NAV",
    "SCRIPT",
    "content_security_policy",
]

CSS = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
sans-serif;color:#111827;background:#f8fafc}
main{max-width:1240px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:20px;margin:8px 0 12px}
h2{font-size:17px;margin:0 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px}
section{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:14px 16px;
margin:14px 0}
nav{font-size:13px;margin:6px 0 0}
nav a{margin-right:14px;color:#1d4ed8;text-decoration:none}
code{font:12px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f3f4f6;
padding:1px 4px;border-radius:3px;overflow-wrap:break-word}
td.key,td.key code,td.cohort{white-space:nowrap}
a code{color:#1d4ed8}
.banner{display:flex;align-items:baseline;gap:16px;padding:14px 18px;border-radius:8px;
color:#fff}
.banner.pass{background:#15803d}.banner.fail{background:#b91c1c}.banner.unknown{background:#6b7280}
.verdict{font-size:26px;font-weight:700;letter-spacing:.04em}
.why{font-size:15px}
.facts{display:flex;flex-wrap:wrap;gap:8px 28px;margin:12px 0 0}
.facts div{min-width:120px}
.facts dt{font-size:11px;text-transform:uppercase;color:#6b7280;letter-spacing:.05em}
.facts dd{margin:0;font-size:15px;font-weight:600}
.warn{background:#fef3c7;border:1px solid #f59e0b;padding:6px 10px;border-radius:6px}
table{border-collapse:collapse;margin:4px 0 8px}
th,td{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{font-size:12px;color:#374151;background:#f9fafb;white-space:nowrap}
table.heat td{padding:3px 6px}
table.heat th,table.wrap-heads th{white-space:normal;min-width:58px;max-width:92px;
vertical-align:bottom}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.na,.muted{color:#9ca3af}
.base{display:block;font-size:11px;color:#6b7280}
.mark{display:inline-block;margin-left:4px;font-size:10px;color:#374151;
border:1px solid #9ca3af;border-radius:3px;padding:0 3px}
.delta.better{color:#15803d;font-weight:600}.delta.worse{color:#b91c1c;font-weight:600}
.delta.same,.delta.neutral{color:#374151}
.badge{display:inline-block;font-size:11px;font-weight:700;padding:1px 7px;border-radius:10px;
text-transform:uppercase;letter-spacing:.03em}
.badge.pass{background:#dcfce7;color:#166534}.badge.fail{background:#fee2e2;color:#991b1b}
.badge.neutral{background:#e5e7eb;color:#374151}
tr.gate.fail td{background:#fef2f2}
tr.flagged td{background:#fee2e2}
tr.flagged td:first-child{box-shadow:inset 4px 0 0 #dc2626}
.ids code{display:inline-block;margin:1px 0}
td.gate-name{min-width:150px}td.ids{max-width:460px}
details summary{cursor:pointer;color:#1d4ed8;font-size:12px}
.note{color:#4b5563;font-size:12.5px;margin:0 0 8px}
.empty{color:#6b7280;font-style:italic}
.ok{color:#15803d;font-weight:600}
.pair{display:flex;flex-wrap:wrap;gap:12px 32px;align-items:flex-start}
.scroll{overflow-x:auto;max-width:100%}
.chart{max-width:100%;height:auto;display:block;margin:6px 0}
.chart text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#111827}
.chart .sublabel{font-size:10px;fill:#6b7280}
.chart .value{font-size:11px;fill:#374151}
.chart .na{fill:#9ca3af}
.chart .track{fill:#f3f4f6}
.chart .cellvalue{font-size:11px}
.run .sub{font-size:11px;color:#6b7280;margin-top:2px}
.tag{display:inline-block;font-size:10.5px;background:#eef2ff;color:#3730a3;border-radius:3px;
padding:0 5px;margin:2px 3px 0 0}
table.checks{margin:0;font-size:12.5px}
table.checks th,table.checks td{padding:2px 6px}
.expected{color:#166534}.actual{color:#991b1b}
.expected,.actual{word-break:break-word;max-width:320px}
th.sort{cursor:pointer}
th[aria-sort=ascending]::after{content:" \\25B2";font-size:9px}
th[aria-sort=descending]::after{content:" \\25BC";font-size:9px}
input.filter{margin:4px 0;padding:4px 8px;width:280px;border:1px solid #d1d5db;border-radius:4px}
footer{color:#6b7280;font-size:12px;text-align:center;margin-top:20px}
@media print{body{background:#fff}section{break-inside:avoid;border:none}
input.filter,nav{display:none}}
"""

# Sorting and filtering only; the page reads the same without it. It also marks <html data-js>
# so a test can see that it ran under the page's Content-Security-Policy.
SCRIPT = """(function(){
var d=document;d.documentElement.setAttribute("data-js","1");
function key(c){if(!c){return "";}var v=c.getAttribute("data-sort");
return v===null?c.textContent.trim():v;}
function cmp(x,y){var a=Number(x),b=Number(y);return !isNaN(a)&&!isNaN(b)?a-b:x.localeCompare(y);}
Array.prototype.forEach.call(d.querySelectorAll("table.sortable"),function(t){
if(!t.tHead||!t.tBodies.length){return;}var heads=t.tHead.rows[0].cells;
Array.prototype.forEach.call(heads,function(th,i){th.classList.add("sort");th.tabIndex=0;
function go(){var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
var asc=th.getAttribute("aria-sort")!=="ascending";
Array.prototype.forEach.call(heads,function(h){h.removeAttribute("aria-sort");});
th.setAttribute("aria-sort",asc?"ascending":"descending");
rows.sort(function(r,s){var x=key(r.cells[i]),y=key(s.cells[i]);
if(x===""||y===""){return x===y?0:(x===""?1:-1);}return asc?cmp(x,y):cmp(y,x);});
rows.forEach(function(r){body.appendChild(r);});}
th.addEventListener("click",go);
th.addEventListener("keydown",function(e){if(e.key==="Enter"){go();}});});});
Array.prototype.forEach.call(d.querySelectorAll("table[data-filter]"),function(t){
var box=d.createElement("input");box.type="search";box.className="filter";
box.placeholder="Filter rows";box.setAttribute("aria-label","Filter rows");
var host=t.parentNode.classList.contains("scroll")?t.parentNode:t;
host.parentNode.insertBefore(box,host);
box.addEventListener("input",function(){var q=box.value.toLowerCase();
Array.prototype.forEach.call(t.tBodies[0].rows,function(r){
r.hidden=q!==""&&r.textContent.toLowerCase().indexOf(q)<0;});});});
})();"""

NAV = (
    ("gates", "Gates"),
    ("overall", "Overall"),
    ("segments", "By segment"),
    ("need-segment", "Need &times; segment"),
    ("languages", "Languages"),
    ("cohorts", "Cohorts"),
    ("drift", "Drift"),
    ("failing", "Failing runs"),
)


def content_security_policy() -> str:
    """The page's CSP: nothing may load, and only the inline script (pinned by its hash) runs."""
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
    return (
        "default-src 'none'; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )
