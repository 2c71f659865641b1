#!/usr/bin/env python3
"""Trunk post-build hook: shortens the names by which the wasm and its JS glue call each other,
with binaryen's own pass for it (`wasm-opt --minify-imports-and-exports-and-modules`, the one
Emscripten runs on its builds), then renames them to match in the glue and updates the wasm's
Subresource Integrity hash in index.html. Runs before minify_glue.py (terser), while the glue
still reads `wasm.<export>` and `<import>: function`.

wasm-bindgen names each import `__wbg_<name>_<16 hex digits>`: 270 of them, each written in the
wasm and again in the glue, and the hashes do not compress. Shortened, the bundle is about 4 KB
brotli smaller (docs/decisions/0008-short-import-names.md). A name the glue does not hold exactly
once, or a glue that would keep an old name, fails the build rather than ship a page that
cannot start.
"""
import json
import os
import pathlib
import re
import subprocess
import sys

from sri import only_tag, rehash

HOOK = "minify_imports"
staging = pathlib.Path(os.environ.get("TRUNK_STAGING_DIR") or sys.argv[1])
root = pathlib.Path(__file__).resolve().parent.parent
wasm_opt = root / ".tools" / "node_modules" / ".bin" / "wasm-opt"
index = staging / "index.html"
wasm_tag = only_tag(index, r'<link rel="preload" href="\./([^"]+_bg\.wasm)"[^>]*>', "preload of the wasm", HOOK)
glue_tag = only_tag(index, r'<link rel="modulepreload" href="\./([^"]+\.js)"[^>]*>', "modulepreload of the JS glue", HOOK)
wasm, glue = staging / wasm_tag.group(1), staging / glue_tag.group(1)
if not wasm_opt.exists():
    sys.exit(f"{HOOK}: {wasm_opt} is missing: run `bash .ci/setup`")
# The features come from the module's target-features section (never `-all`: it lets wasm-opt
# write imports in an encoding no browser reads yet), which is then stripped: browsers ignore it.
done = subprocess.run(
    [str(wasm_opt), str(wasm), "--minify-imports-and-exports-and-modules", "--strip-target-features", "-o", str(wasm)],
    capture_output=True, text=True,
)
if done.returncode != 0:
    sys.exit(f"{HOOK}: wasm-opt failed ({done.returncode}):\n{done.stderr}")
mapping = json.loads(done.stdout[done.stdout.index("{"):])


def first_import_module(module: bytes) -> str:
    """The module name of the wasm's first import (section 2), as the pass renamed it."""
    def leb(i: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            byte = module[i]
            i += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value, i
    i = 8
    while i < len(module):
        section, i = module[i], i + 1
        size, i = leb(i)
        if section == 2:
            _, j = leb(i)  # the number of imports
            length, j = leb(j)
            return module[j:j + length].decode()
        i += size
    sys.exit(f"{HOOK}: {wasm} has no imports")


code = glue.read_text(encoding="utf-8")
modules = {old for old, _, _ in mapping["imports"]}
if len(modules) != 1:
    sys.exit(f"{HOOK}: expected the imports of one module, found {sorted(modules)}")
(old_module,) = modules
new_module = first_import_module(wasm.read_bytes())
code, n = re.subn(rf'"{re.escape(old_module)}"(?=: import0\b)', json.dumps(new_module), code)
if n != 1:
    sys.exit(f"{HOOK}: the glue names module {old_module!r} {n} times as its imports, expected once")
for _, old, new in mapping["imports"]:
    code, n = re.subn(rf"(?<![\w$]){re.escape(old)}(?=: function\b)", json.dumps(new), code)
    if n != 1:
        sys.exit(f"{HOOK}: the glue defines import {old!r} {n} times, expected once")
exports = dict(mapping["exports"])
code = re.sub(r"\bwasm\.([A-Za-z_$][\w$]*)", lambda m: "wasm." + exports.get(m.group(1), m.group(1)), code)
left = sorted(set(re.findall(r"\bwasm\.([A-Za-z_$][\w$]*)", code)) - set(exports.values()))
if left:
    sys.exit(f"{HOOK}: the glue reads exports the wasm no longer has: {left}")
# An export read any other way (wasm["x"], const { x } = wasm, instance.exports.x) would keep its
# old name and find nothing: fail on any old name left as a property, a string or a destructured
# name.
for old in exports:
    if re.search(rf"(?:[.\[]\s*|['\"]){re.escape(old)}\b|[{{,]\s*{re.escape(old)}\s*[,}}]", code):
        sys.exit(f"{HOOK}: the glue still reads export {old!r} by its old name")
glue.write_text(code, encoding="utf-8")
rehash(index, wasm_tag.group(0), wasm.read_bytes(), HOOK)
print(f"{HOOK}: {len(mapping['imports'])} imports and {len(exports)} exports renamed; {wasm.name}: {wasm.stat().st_size} bytes")
