//! A local stand-in for ThingSpace's FOTA "Synchronize Device Firmware" endpoint, with fault
//! injection and a control API, for running the app by hand and for end-to-end tests.
//!
//! Start it in-process with [`start`]; see the README for the control API and the `--fault` grammar.

pub mod answers;
mod control;
mod cors;
pub mod devices;
pub mod faults;
pub mod fota;
pub mod rate_limit;
mod request_log;
mod server;
mod statics;
mod timefmt;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use devices::{outcome, DeviceOutcome};
pub use faults::{FaultRule, Latency};
pub use rate_limit::RateLimit;
pub use request_log::RequestRecord;
pub use statics::{csp_source, mount_path, Csp, LOOPBACK_CONNECT_SRC};
pub use timefmt::HttpDateFormat;

/// The port the binary listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 8787;
/// Origins allowed by CORS unless told otherwise: the app's `trunk serve`.
pub const DEFAULT_ORIGINS: [&str; 2] = ["http://127.0.0.1:8080", "http://localhost:8080"];
/// The API base the endpoint lives under.
pub const API_BASE: &str = "/api/fota/v3";

/// How to run the emulator. It always listens on 127.0.0.1.
#[derive(Debug, Clone)]
pub struct Config {
    /// 0 picks a free port.
    pub port: u16,
    /// Static files served at `/` (the app's release build), if any.
    pub serve_dir: Option<PathBuf>,
    /// Sub-paths such as `/tools/fota-sync/` (see [`mount_path`]) where the static files and the
    /// API are served too, as behind a portal's reverse proxy.
    pub mounts: Vec<String>,
    /// The policy sent with every static file; `None` sends none.
    pub csp: Option<Csp>,
    /// Origins whose cross-origin requests get CORS headers, compared exactly.
    pub allowed_origins: Vec<String>,
    /// The delay added to every FOTA answer.
    pub latency: Latency,
    /// Fault rules in force from the start, in order.
    pub faults: Vec<FaultRule>,
    /// The account's rate limit in force from the start (a token bucket per account); `None`
    /// lets every request through.
    pub rate_limit: Option<RateLimit>,
    /// Keeps connections open between requests (see `server`: off for fault tests).
    pub keep_alive: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            port: DEFAULT_PORT,
            serve_dir: None,
            mounts: Vec::new(),
            csp: Some(Csp::default()),
            allowed_origins: DEFAULT_ORIGINS.map(String::from).to_vec(),
            latency: Latency::default(),
            faults: Vec::new(),
            rate_limit: None,
            keep_alive: false,
        }
    }
}

/// A running emulator. Dropping it stops the server, as does [`Emulator::shutdown`].
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    served: JoinHandle<()>,
}

impl Emulator {
    /// The address it listens on, 127.0.0.1 and the port.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets answers in flight finish (for up to a second), and returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.served.await;
    }
}

/// Binds 127.0.0.1:`config.port` and serves in the background of the current Tokio runtime.
pub async fn start(config: Config) -> std::io::Result<Emulator> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel();
    let keep_alive = config.keep_alive;
    let served = tokio::spawn(server::serve(
        listener,
        router(App::new(config)),
        keep_alive,
        stopped,
    ));
    Ok(Emulator { addr, stop, served })
}

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct App {
    state: Arc<Mutex<EmulatorState>>,
    allowed_origins: Arc<[String]>,
    serve_dir: Option<Arc<PathBuf>>,
    mounts: Arc<[String]>,
    csp: Option<HeaderValue>,
}

/// What the control API changes and [`control`]'s reset clears.
#[derive(Default)]
pub(crate) struct EmulatorState {
    pub rules: faults::Rules,
    pub log: Vec<RequestRecord>,
    pub latency: Latency,
    pub jitter: faults::Jitter,
    pub limiter: rate_limit::Limiter,
}

impl App {
    fn new(config: Config) -> Self {
        let mut state = EmulatorState {
            latency: config.latency,
            limiter: rate_limit::Limiter::new(config.rate_limit),
            ..EmulatorState::default()
        };
        for rule in config.faults {
            state.rules.add(rule);
        }
        Self {
            state: Arc::new(Mutex::new(state)),
            allowed_origins: config.allowed_origins.into(),
            serve_dir: config.serve_dir.map(Arc::new),
            mounts: config.mounts.into(),
            // A source that is not a valid header value was refused by `csp_source`; an
            // in-process caller that slips one in gets no policy rather than a panic.
            csp: config
                .csp
                .and_then(|csp| HeaderValue::from_str(&csp.header_value()).ok()),
        }
    }

    /// The state; a handler that panicked while holding it left nothing half-done worth refusing.
    pub(crate) fn state(&self) -> MutexGuard<'_, EmulatorState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn router(app: App) -> Router {
    let mut router = Router::new();
    let bases = std::iter::once(String::new()).chain(
        app.mounts
            .iter()
            .map(|m| m.trim_end_matches('/').to_string()),
    );
    for base in bases {
        router = router.route(
            &format!("{base}{API_BASE}/firmware/{{acc}}/devices"),
            put(fota::synchronize).fallback(fota::no_matching_resource),
        );
    }
    router
        .nest("/_emulator", control::routes())
        .fallback(fallback)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            cors::apply,
        ))
        .with_state(app)
}

/// Other API paths get the gateway's 404; the rest are static files, if there are any. Under a
/// mount, both are found as at `/`.
async fn fallback(State(app): State<App>, request: Request) -> Response {
    let uri = request.uri().clone();
    let path = match statics::local_path(&app.mounts, uri.path()) {
        statics::Local::Path(path) => path,
        statics::Local::AddSlash(mount) => return statics::add_slash(mount, uri.query()),
    };
    if path == API_BASE || path.starts_with(&format!("{API_BASE}/")) {
        return fota::no_matching_resource(State(app), request).await;
    }
    match &app.serve_dir {
        Some(root) => statics::serve(root, app.csp.as_ref(), request.method(), path).await,
        None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}
