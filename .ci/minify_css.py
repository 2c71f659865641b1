#!/usr/bin/env python3
"""Trunk post-build hook: minifies the stylesheet with Lightning CSS (npm `lightningcss`, the
engine Trunk's own `minify` uses, installed into .tools/ by .ci/setup) and updates its
Subresource Integrity hash in index.html.

style/main.css keeps its comments (why each rule is there) and its layout; minified it is 860
bytes less over the wire once compressed (docs/PERFORMANCE.md, "Size budget"). Trunk's `minify`
setting would also run its own JS minifier over the glue and rewrite index.html before the
other hooks read it, hence this step. Without Lightning CSS the build fails, as in
minify_glue.py: a hashed file name must never carry two contents.
"""
import os
import pathlib
import subprocess
import sys

from sri import only_tag, rehash

staging = pathlib.Path(os.environ.get("TRUNK_STAGING_DIR") or sys.argv[1])
root = pathlib.Path(__file__).resolve().parent.parent
tools = root / ".tools" / "node_modules"
index = staging / "index.html"
link = only_tag(index, r'<link rel="stylesheet" href="\./([^"]+\.css)"[^>]*>', "stylesheet link", "minify_css")
sheet = staging / link.group(1)
if not (tools / "lightningcss").exists():
    sys.exit(f"minify_css: {tools / 'lightningcss'} is missing: run `bash .ci/setup` (it installs it with wasm-opt)")
# Browser targets left unset: the rules are printed as written (no prefixes added, no syntax
# lowered), only without comments and spaces.
script = """
const fs = require('node:fs');
const { transform } = require('lightningcss');
const file = process.argv[1];
const { code, warnings } = transform({ filename: file, code: fs.readFileSync(file), minify: true });
for (const w of warnings) console.error(`minify_css: ${w.message} (line ${w.loc.line})`);
fs.writeFileSync(file, code);
"""
subprocess.run(["node", "-e", script, str(sheet)], check=True, env={**os.environ, "NODE_PATH": str(tools)})
code = sheet.read_bytes()
rehash(index, link.group(0), code, "minify_css")
print(f"minify_css: {sheet.name}: {len(code)} bytes")
