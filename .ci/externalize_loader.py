#!/usr/bin/env python3
"""Trunk post-build hook: moves Trunk's inline module loader into its own hashed file.

With no inline script left, the page runs under `script-src 'self' 'wasm-unsafe-eval'`: a strict
Content Security Policy that needs no per-build hash and no server-side nonce.
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
index.write_text(inline.sub(lambda _: tag, html), encoding="utf-8")
print(f"externalize_loader: {name}")
