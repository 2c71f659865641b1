#!/usr/bin/env python3
"""Trunk post-build hook: moves Trunk's inline module loader into its own hashed file.

With no inline script left, the page runs under `script-src 'self' 'wasm-unsafe-eval'`: a strict
Content Security Policy that needs no per-build hash and no server-side nonce.

It also moves Trunk's preload of the wasm to the top of <head>, so that the browser asks for the
largest file first: over HTTP/1.1 the first request after the page takes the page's own
connection, while the others each wait one round trip for a new one (docs/PERFORMANCE.md, "First load").
"""
import base64
import hashlib
import os
import pathlib
import re
import sys

staging = pathlib.Path(os.environ.get("TRUNK_STAGING_DIR") or sys.argv[1])
index = staging / "index.html"
html = index.read_text(encoding="utf-8")
inline = re.compile(r'<script type="module">(.*?)</script>', re.S)
found = inline.findall(html)
if len(found) != 1:
    sys.exit(f"externalize_loader: expected one inline module script in {index}, found {len(found)}")
code = found[0].strip() + "\n"
digest = hashlib.sha256(code.encode()).hexdigest()[:16]
name = f"loader-{digest}.js"
(staging / name).write_text(code, encoding="utf-8")
sri = "sha384-" + base64.b64encode(hashlib.sha384(code.encode()).digest()).decode()
tag = f'<script type="module" src="./{name}" integrity="{sri}" crossorigin="anonymous"></script>'
html = inline.sub(lambda _: tag, html)

wasm_preload = re.compile(r'<link rel="preload" href="[^"]*_bg\.wasm"[^>]*>')
preloads = wasm_preload.findall(html)
if len(preloads) != 1:
    sys.exit(f"externalize_loader: expected one wasm preload in {index}, found {len(preloads)}")
charset = '<meta charset="utf-8" />'
if html.count(charset) != 1:
    sys.exit(f"externalize_loader: expected one '{charset}' in {index}")
html = wasm_preload.sub("", html).replace(charset, f"{charset}\n    {preloads[0]}")
index.write_text(html, encoding="utf-8")
print(f"externalize_loader: {name}")
