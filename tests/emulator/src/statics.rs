//! Static files for `--serve-dir`, so the app's release build and the API share one origin: at
//! `/` and at every `--mount` path, each file sent with the app's Content Security Policy.

use std::path::{Path, PathBuf};

use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

/// Sources `connect-src` allows besides `'self'` unless told otherwise: any port on this
/// machine, so tests may point the app at a second local server (a CORS proxy, a closed port)
/// and see the network's answer rather than the policy's.
pub const LOOPBACK_CONNECT_SRC: [&str; 2] = ["http://127.0.0.1:*", "http://localhost:*"];

/// The policy sent with every static file: the strict one a deployment uses (no inline script
/// or style, no eval; WebAssembly compiles under `'wasm-unsafe-eval'`), with the sources a
/// deployment chooses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csp {
    /// Sources added to `connect-src 'self'`: where the API lives.
    pub connect_src: Vec<String>,
    /// Who may frame the pages; empty means `'self'`.
    pub frame_ancestors: Vec<String>,
}

impl Default for Csp {
    fn default() -> Self {
        Self {
            connect_src: LOOPBACK_CONNECT_SRC.map(String::from).to_vec(),
            frame_ancestors: Vec::new(),
        }
    }
}

impl Csp {
    /// The `Content-Security-Policy` header value.
    pub fn header_value(&self) -> String {
        let mut connect = vec!["'self'"];
        for source in &self.connect_src {
            if !connect.contains(&source.as_str()) {
                connect.push(source);
            }
        }
        let ancestors = if self.frame_ancestors.is_empty() {
            "'self'".to_string()
        } else {
            self.frame_ancestors.join(" ")
        };
        format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self'; connect-src {}; frame-ancestors {ancestors}; base-uri 'self'; \
             form-action 'self'; object-src 'none'",
            connect.join(" ")
        )
    }
}

/// A CSP source as given on the command line: one token, nothing that could end the directive.
pub fn csp_source(value: &str) -> Result<String, String> {
    let bad =
        value.is_empty() || value.contains(|c: char| c.is_whitespace() || c == ';' || c == ',');
    if bad {
        return Err(format!(
            "`{value}` is not a single CSP source such as http://127.0.0.1:9000 or 'self'"
        ));
    }
    Ok(value.to_string())
}

/// A `--mount` path in the form the router uses, `/tools/fota-sync/`: absolute, with a trailing
/// slash, plain segments only.
pub fn mount_path(value: &str) -> Result<String, String> {
    let inner = value
        .strip_prefix('/')
        .ok_or_else(|| format!("mount path `{value}` must start with /"))?;
    let inner = inner.strip_suffix('/').unwrap_or(inner);
    if inner.is_empty() {
        return Err(
            "mount path `/` is served already; give a sub-path such as /tools/fota-sync/".into(),
        );
    }
    for segment in inner.split('/') {
        let plain = !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        if !plain {
            return Err(format!(
                "mount path `{value}`: segment `{segment}` must be letters, digits, - . _ ~"
            ));
        }
    }
    Ok(format!("/{inner}/"))
}

/// Where a request path lands once a mount prefix is taken off.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Local<'a> {
    /// The path as the site sees it, starting with `/`.
    Path(&'a str),
    /// The mount itself without its trailing slash: redirect, so relative URLs resolve under it.
    AddSlash(&'a str),
}

/// `/tools/fota-sync/config.json` → `/config.json` when `/tools/fota-sync/` is mounted; the
/// longest mount wins.
pub(crate) fn local_path<'a>(mounts: &'a [String], path: &'a str) -> Local<'a> {
    if let Some(mount) = mounts.iter().find(|m| path == m.trim_end_matches('/')) {
        return Local::AddSlash(mount);
    }
    let longest = mounts
        .iter()
        .filter(|m| path.starts_with(m.as_str()))
        .max_by_key(|m| m.len());
    match longest {
        Some(mount) => Local::Path(&path[mount.len() - 1..]),
        None => Local::Path(path),
    }
}

/// The answer for a mount path asked for without its trailing slash.
pub(crate) fn add_slash(mount: &str, query: Option<&str>) -> Response {
    match query {
        Some(query) => Redirect::permanent(&format!("{mount}?{query}")).into_response(),
        None => Redirect::permanent(mount).into_response(),
    }
}

/// GET or HEAD of a file under `root`; `/` and directories mean their `index.html`. Every answer
/// carries `csp`, if there is one.
pub(crate) async fn serve(
    root: &Path,
    csp: Option<&HeaderValue>,
    method: &Method,
    url_path: &str,
) -> Response {
    let mut response = file(root, method, url_path).await;
    if let Some(csp) = csp {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp.clone());
    }
    response
}

async fn file(root: &Path, method: &Method, url_path: &str) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let Some(mut file) = resolve(root, url_path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if tokio::fs::metadata(&file).await.is_ok_and(|m| m.is_dir()) {
        file.push("index.html");
    }
    match tokio::fs::read(&file).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type(&file)),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The file a URL path names, or `None` if it would leave `root`.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let mut file = root.to_path_buf();
    for segment in url_path.split('/').filter(|s| !s.is_empty()) {
        if segment == "." || segment == ".." || segment.contains('\\') {
            return None;
        }
        file.push(segment);
    }
    Some(file)
}

fn content_type(file: &Path) -> &'static str {
    let extension = file.extension().and_then(|e| e.to_str()).unwrap_or("");
    match extension.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_under_the_root() {
        let root = Path::new("/srv/site");
        assert_eq!(resolve(root, "/"), Some(root.to_path_buf()));
        assert_eq!(resolve(root, "/a/b.js"), Some(root.join("a/b.js")));
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/a/./b"), None);
        assert_eq!(resolve(root, "/a\\..\\b"), None);
    }

    #[test]
    fn the_default_policy_is_strict_but_reaches_this_machine() {
        assert_eq!(
            Csp::default().header_value(),
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self'; connect-src 'self' http://127.0.0.1:* http://localhost:*; \
             frame-ancestors 'self'; base-uri 'self'; form-action 'self'; object-src 'none'"
        );
        let portal = Csp {
            connect_src: vec!["'self'".into(), "https://proxy.example.com".into()],
            frame_ancestors: vec!["http://127.0.0.1:9000".into(), "'self'".into()],
        }
        .header_value();
        assert!(
            portal.contains("; connect-src 'self' https://proxy.example.com;"),
            "{portal}"
        );
        assert!(
            portal.contains("; frame-ancestors http://127.0.0.1:9000 'self';"),
            "{portal}"
        );
        assert!(!portal.contains("'unsafe-inline'") && !portal.contains("'unsafe-eval'"));
    }

    #[test]
    fn sources_cannot_add_directives() {
        assert_eq!(csp_source("'self'").unwrap(), "'self'");
        assert_eq!(
            csp_source("http://127.0.0.1:*").unwrap(),
            "http://127.0.0.1:*"
        );
        for bad in ["", "a b", "x; script-src *", "a,b"] {
            assert!(csp_source(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn mount_paths_are_normalised_or_refused() {
        assert_eq!(
            mount_path("/tools/fota-sync/").unwrap(),
            "/tools/fota-sync/"
        );
        assert_eq!(mount_path("/tools/fota-sync").unwrap(), "/tools/fota-sync/");
        for bad in ["/", "", "tools/", "/a//b/", "/a/../b/", "/a/{x}/", "/a b/"] {
            assert!(mount_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn mounts_are_taken_off_the_longest_first() {
        let mounts = ["/a/".to_string(), "/a/b/".to_string()];
        assert_eq!(local_path(&mounts, "/a/b/x.js"), Local::Path("/x.js"));
        assert_eq!(local_path(&mounts, "/a/x.js"), Local::Path("/x.js"));
        assert_eq!(local_path(&mounts, "/a/"), Local::Path("/"));
        assert_eq!(local_path(&mounts, "/a/b"), Local::AddSlash("/a/b/"));
        assert_eq!(local_path(&mounts, "/ab/x.js"), Local::Path("/ab/x.js"));
        assert_eq!(local_path(&[], "/x.js"), Local::Path("/x.js"));
    }

    #[test]
    fn wasm_and_friends_get_their_types() {
        assert_eq!(content_type(Path::new("app_bg.wasm")), "application/wasm");
        assert_eq!(
            content_type(Path::new("index.HTML")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("x")), "application/octet-stream");
    }
}
