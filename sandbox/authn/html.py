"""A tiny HTML kit for the login pages: one layout, escaping, and form pieces.

Plain Python strings rather than a template engine keep the sandbox free of extra
dependencies; every value goes through ``esc`` so a hostile ``state`` or email
address cannot inject markup.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping

_STYLE = """
:root{--ink:#1f2430;--muted:#5b6475;--line:#d8dce3;--brand:#3b5bdb;--bg:#f4f6fa;
--bad:#c92a2a;--badbg:#fff0f0;--ok:#2b8a3e}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--ink);background:var(--bg)}
main{max-width:420px;margin:6vh auto;padding:32px;background:#fff;border:1px solid var(--line);
border-radius:10px;box-shadow:0 4px 18px rgba(20,30,60,.06)}
main.wide{max-width:960px}
h1{font-size:22px;margin:0 0 4px}
p.sub{color:var(--muted);margin:0 0 20px}
.tag{display:inline-block;font-size:12px;padding:2px 8px;border-radius:999px;
background:#eef1ff;color:var(--brand);margin-bottom:12px}
label{display:block;font-weight:600;margin:14px 0 4px}
input[type=email],input[type=password],input[type=text]{width:100%;padding:10px 12px;
font:inherit;border:1px solid var(--line);border-radius:6px}
input:focus{outline:2px solid var(--brand);border-color:transparent}
button,.button{display:block;width:100%;margin-top:20px;padding:11px;font:inherit;font-weight:600;
color:#fff;background:var(--brand);border:0;border-radius:6px;cursor:pointer;text-align:center;
text-decoration:none}
.button.secondary{background:#fff;color:var(--ink);border:1px solid var(--line);margin-top:10px}
.error{background:var(--badbg);color:var(--bad);border:1px solid #ffc9c9;border-radius:6px;
padding:10px 12px;margin:12px 0}
.note{color:var(--muted);font-size:13px;margin-top:18px}
.or{text-align:center;color:var(--muted);margin:18px 0 0;font-size:13px}
table{width:100%;border-collapse:collapse;font-size:14px}
th,td{text-align:left;padding:8px;border-bottom:1px solid var(--line);vertical-align:top;
overflow-wrap:anywhere}
code{font-size:13px;background:#f1f3f5;padding:1px 4px;border-radius:4px}
pre{white-space:pre-wrap;background:#f8f9fa;border:1px solid var(--line);padding:10px;
border-radius:6px}
a{color:var(--brand)}
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def page(
    title: str,
    body: str,
    *,
    subtitle: str | None = None,
    tag: str | None = "Sandbox tenant",
    wide: bool = False,
) -> str:
    """A complete HTML document; ``body`` is trusted markup built with ``esc``."""
    head_tag = f'<span class="tag">{esc(tag)}</span>' if tag else ""
    sub = f'<p class="sub">{esc(subtitle)}</p>' if subtitle else ""
    cls = ' class="wide"' if wide else ""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main{cls}>{head_tag}<h1>{esc(title)}</h1>{sub}{body}</main></body></html>\n"
    )


def error_box(message: str | None) -> str:
    return f'<div class="error" role="alert">{esc(message)}</div>' if message else ""


def hidden(fields: Mapping[str, str | None]) -> str:
    return "".join(
        f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">'
        for k, v in fields.items()
        if v is not None
    )


def field(
    name: str,
    label: str,
    *,
    kind: str = "text",
    value: str | None = None,
    readonly: bool = False,
    autocomplete: str | None = None,
    required: bool = True,
) -> str:
    attrs = [f'type="{esc(kind)}"', f'name="{esc(name)}"', f'id="{esc(name)}"']
    if value is not None:
        attrs.append(f'value="{esc(value)}"')
    if readonly:
        attrs.append("readonly")
    if required:
        attrs.append("required")
    if autocomplete:
        attrs.append(f'autocomplete="{esc(autocomplete)}"')
    return f'<label for="{esc(name)}">{esc(label)}</label><input {" ".join(attrs)}>'


def form(action: str, inner: str, *, submit: str, method: str = "post") -> str:
    return (
        f'<form method="{esc(method)}" action="{esc(action)}">{inner}'
        f'<button type="submit">{esc(submit)}</button></form>'
    )


def link_button(href: str, text: str, *, secondary: bool = True) -> str:
    cls = "button secondary" if secondary else "button"
    return f'<a class="{cls}" href="{esc(href)}">{esc(text)}</a>'


def table(headers: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """``rows`` hold trusted cell markup (escape values before passing them in)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
