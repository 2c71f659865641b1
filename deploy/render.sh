#!/usr/bin/env bash
# Renders one of FOTA Sync's nginx templates to stdout, filling its ${FOTA_...} placeholders from
# the environment; nginx's own $variables are left alone. Refuses a value that could break out of
# its place in the configuration, and a required value that is missing.
#
# Usage: deploy/render.sh TEMPLATE > FILE
#   TEMPLATE: same-origin | static-site | cors-proxy | nginx.conf, or a path to a *.template
# Example (Debian, same origin):
#   FOTA_LISTEN='443 ssl' FOTA_SERVER_NAME=fota.example.com FOTA_DIST=/srv/fota-sync/dist \
#   FOTA_UPSTREAM=https://thingspace.verizon.com \
#     deploy/render.sh same-origin | sudo tee /etc/nginx/sites-available/fota-sync
# Every placeholder, with its default, is described in deploy/README.md.
set -euo pipefail -f # -f: a "*" in a value stays a "*"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

die() {
  printf 'render.sh: %s\n' "$*" >&2
  exit 1
}

(($# == 1)) || die "usage: render.sh same-origin|static-site|cors-proxy|nginx.conf|FILE.template"
case "$1" in
  same-origin | static-site | cors-proxy) template="$here/nginx/sites/$1.conf.template" ;;
  nginx.conf) template="$here/nginx/nginx.conf.template" ;;
  *) template="$1" ;;
esac
[[ -f "$template" ]] || die "no template $template"

# Defaults for the optional placeholders.
: "${FOTA_SERVER_NAME:=_}"
: "${FOTA_LOG_DIR:=/var/log/nginx}"
: "${FOTA_FRAME_ANCESTORS:='none'}"
: "${FOTA_CONNECT_SRC:=}"
: "${FOTA_CORS_ORIGINS:=}"
: "${FOTA_BROTLI_STATIC:=auto}"
: "${FOTA_NGINX_MODULES_DIR:=/usr/lib/nginx/modules}"
if [[ -n "${FOTA_DIST:-}" ]]; then
  : "${FOTA_CONFIG_JSON:=${FOTA_DIST%/}/config.json}"
fi

ORIGIN_RE='^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$'

# check NAME VALUE: whether VALUE may stand where the placeholder NAME stands.
check() {
  local name=$1 value=$2 word
  # Nothing that ends a directive, opens a block, quotes, or starts an nginx variable.
  [[ "$value" != *[\;\{\}\"\$\\\`]* && "$value" != *$'\n'* ]] ||
    die "$name contains one of ; { } \" \$ \\ \` or a newline: '$value'"
  case "$name" in
    FOTA_LISTEN)
      [[ "$value" =~ ^[][A-Za-z0-9.:\ _=-]+$ ]] || die "FOTA_LISTEN: '$value' is not a listen address, e.g. '443 ssl' or 127.0.0.1:8080"
      ;;
    FOTA_SERVER_NAME)
      [[ "$value" =~ ^[A-Za-z0-9.*_\ -]+$ ]] || die "FOTA_SERVER_NAME: '$value' is not a list of host names"
      ;;
    FOTA_DIST | FOTA_LOG_DIR | FOTA_CONFIG_JSON | FOTA_NGINX_MODULES_DIR)
      [[ "$value" =~ ^/[A-Za-z0-9._/+-]*$ ]] || die "$name: '$value' is not an absolute path without spaces"
      ;;
    FOTA_UPSTREAM)
      # No path: the request's own path (/api/fota/v3/...) goes on unchanged.
      [[ "$value" =~ $ORIGIN_RE ]] || die "FOTA_UPSTREAM: '$value' is not scheme://host[:port], e.g. https://thingspace.verizon.com"
      ;;
    FOTA_BROTLI_STATIC)
      [[ "$value" == auto || "$value" == on || "$value" == off ]] || die "FOTA_BROTLI_STATIC: '$value' is not auto, on or off"
      ;;
    FOTA_CONNECT_SRC | FOTA_CORS_ORIGINS)
      for word in $value; do
        [[ "$word" =~ $ORIGIN_RE ]] || die "$name: '$word' is not an origin like https://fota.example.com (no path, no slash at the end)"
      done
      ;;
    FOTA_FRAME_ANCESTORS)
      for word in $value; do
        [[ "$word" == "'none'" || "$word" == "'self'" || "$word" =~ $ORIGIN_RE ]] ||
          die "FOTA_FRAME_ANCESTORS: '$word' is not 'none', 'self' or an origin"
      done
      ;;
  esac
}

text=$(<"$template")
# Derived from FOTA_CORS_ORIGINS: the allow-list entries of cors-proxy's map.
if [[ "$text" == *'${FOTA_CORS_ORIGIN_MAP}'* ]]; then
  [[ -n "${FOTA_CORS_ORIGINS// /}" ]] || die "FOTA_CORS_ORIGINS is empty: list the origins that host the app"
  check FOTA_CORS_ORIGINS "$FOTA_CORS_ORIGINS"
  FOTA_CORS_ORIGIN_MAP=""
  for origin in $FOTA_CORS_ORIGINS; do
    FOTA_CORS_ORIGIN_MAP+="    \"$origin\" \"$origin\";"$'\n'
  done
  FOTA_CORS_ORIGIN_MAP=${FOTA_CORS_ORIGIN_MAP%$'\n'}
  text=${text//'${FOTA_CORS_ORIGIN_MAP}'/"$FOTA_CORS_ORIGIN_MAP"}
fi

# Derived from FOTA_BROTLI_STATIC: whether nginx serves dist/'s precompressed X.br files, which
# needs ngx_http_brotli_static_module (Debian: libnginx-mod-http-brotli-static). "auto": when the
# module is in FOTA_NGINX_MODULES_DIR on this machine. Without it, the lines are comments and
# nginx serves X.gz (gzip_static, built in) or compresses on the fly.
if [[ "$text" == *'${FOTA_BROTLI_'[LS]* ]]; then
  check FOTA_BROTLI_STATIC "$FOTA_BROTLI_STATIC"
  check FOTA_NGINX_MODULES_DIR "$FOTA_NGINX_MODULES_DIR"
  brotli_module="${FOTA_NGINX_MODULES_DIR%/}/ngx_http_brotli_static_module.so"
  brotli=$FOTA_BROTLI_STATIC
  found="not installed"
  [[ -f "$brotli_module" ]] && found="installed"
  [[ "$brotli" == auto ]] && { [[ "$found" == installed ]] && brotli=on || brotli=off; }
  if [[ "$brotli" == on ]]; then
    FOTA_BROTLI_LOAD_MODULE="load_module $brotli_module;"
    FOTA_BROTLI_STATIC_DIRECTIVE="brotli_static on;"
  else
    why="FOTA_BROTLI_STATIC=$FOTA_BROTLI_STATIC, $brotli_module $found"
    FOTA_BROTLI_LOAD_MODULE="# ngx_http_brotli_static_module not loaded ($why)"
    FOTA_BROTLI_STATIC_DIRECTIVE="# brotli_static off ($why)"
  fi
  text=${text//'${FOTA_BROTLI_LOAD_MODULE}'/"$FOTA_BROTLI_LOAD_MODULE"}
  text=${text//'${FOTA_BROTLI_STATIC_DIRECTIVE}'/"$FOTA_BROTLI_STATIC_DIRECTIVE"}
fi

while [[ "$text" =~ \$\{(FOTA_[A-Z_]+)\} ]]; do
  name=${BASH_REMATCH[1]}
  [[ -n "${!name+set}" ]] || die "$name is not set (needed by $(basename "$template"))"
  value=${!name}
  case "$name" in
    FOTA_LISTEN | FOTA_DIST | FOTA_UPSTREAM | FOTA_CONFIG_JSON | FOTA_LOG_DIR)
      [[ -n "$value" ]] || die "$name is empty"
      ;;
  esac
  check "$name" "$value"
  text=${text//"\${$name}"/"$value"}
done
printf '%s\n' "$text"
