//! The `fota-emulator` command: reads the flags, starts the emulator, stops on SIGINT or SIGTERM.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use fota_emulator::{csp_source, mount_path, start, Config, Csp, FaultRule, RateLimit};

const USAGE: &str = "\
Usage: fota-emulator [OPTIONS]

A local stand-in for ThingSpace FOTA (PUT /api/fota/v3/firmware/{acc}/devices).
Listens on 127.0.0.1 only; control API under /_emulator/ (see tests/emulator/README.md).

Options:
  --port N             port to listen on (default 8787; 0 picks a free one)
  --serve-dir DIR      also serve the static files in DIR at /, each with a strict
                       Content-Security-Policy (see tests/emulator/README.md)
  --mount PATH         also serve the static files and the API under PATH, e.g.
                       /tools/fota-sync/ (repeatable)
  --csp-connect-src SRC  a source for the policy's connect-src besides 'self', e.g.
                       http://127.0.0.1:9000 (repeatable; default: http://127.0.0.1:*
                       and http://localhost:*; 'self' only: --csp-connect-src \"'self'\")
  --frame-ancestors SRC  who may frame the pages, e.g. http://127.0.0.1:9000 (repeatable;
                       default: 'self')
  --no-csp             send no Content-Security-Policy
  --keep-alive         keep connections open between requests, as a proxy would (off by
                       default: a `drop` fault on a reused connection makes Chromium resend
                       the request instead of failing it; the benchmark turns it on)
  --allow-origin URL   an origin allowed by CORS, exactly (repeatable; '*' is not supported;
                       default: http://127.0.0.1:8080 and http://localhost:8080)
  --latency-ms N       delay every FOTA answer by N ms
  --jitter-ms N        plus up to N ms more
  --rate-limit rps=R:burst=B
                       throttle each account as ThingSpace's gateway does: a token bucket
                       of B requests (default: R rounded up) refilled at R a second (R may
                       be a fraction, e.g. 0.5); over it, 429 fault 900800 \"Message
                       throttled out\" with Retry-After in whole seconds until a token is
                       back (at least 1). Counts FOTA API requests only, e.g.
                       --rate-limit rps=10:burst=20
  --fault SPEC         a fault rule, KIND(:KEY=VALUE)* (repeatable, applied in order), e.g.
                       503:times=1:skip=1   429:retry-after=2   drop:share=0.25
                       omit:account=0000123456-00001   latency:ms=2000   hang:times=1
                       a recorded answer (tests/fixtures/answers/NAME.http):
                       nginx-502:times=1   answer:file=gateway-429-throttled
                       alb-503:retry-after-date=-30:retry-after-format=rfc850
                       variant:keys=documented:time=go-zero:every=2:numeric-id=true
  -h, --help           show this help
";

#[derive(Debug)]
enum Command {
    Run(Config),
    Help,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut config = Config::default();
    let mut origins = Vec::new();
    let mut connect_src = Vec::new();
    let mut frame_ancestors = Vec::new();
    let mut csp = true;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg, None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(Command::Help);
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--port" => config.port = number(&flag, &value()?)?,
            "--serve-dir" => config.serve_dir = Some(PathBuf::from(value()?)),
            "--mount" => config.mounts.push(mount_path(&value()?)?),
            "--csp-connect-src" => connect_src.push(named(&flag, csp_source(&value()?))?),
            "--frame-ancestors" => frame_ancestors.push(named(&flag, csp_source(&value()?))?),
            "--no-csp" if inline.is_none() => csp = false,
            "--keep-alive" if inline.is_none() => config.keep_alive = true,
            "--allow-origin" => origins.push(origin(&value()?)?),
            "--latency-ms" => config.latency.ms = number(&flag, &value()?)?,
            "--jitter-ms" => config.latency.jitter_ms = number(&flag, &value()?)?,
            "--fault" => config.faults.push(FaultRule::parse(&value()?)?),
            "--rate-limit" => config.rate_limit = Some(named(&flag, RateLimit::parse(&value()?))?),
            _ => return Err(format!("unknown argument `{flag}`")),
        }
    }
    if !origins.is_empty() {
        config.allowed_origins = origins;
    }
    config.csp = csp.then(|| {
        let defaults = Csp::default();
        Csp {
            connect_src: if connect_src.is_empty() {
                defaults.connect_src
            } else {
                connect_src
            },
            frame_ancestors,
        }
    });
    Ok(Command::Run(config))
}

fn named<T>(flag: &str, result: Result<T, String>) -> Result<T, String> {
    result.map_err(|e| format!("{flag}: {e}"))
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: `{value}` is not a valid number"))
}

/// `scheme://host[:port]`, as browsers send it in `Origin`.
fn origin(value: &str) -> Result<String, String> {
    if value == "*" {
        return Err("--allow-origin '*' is not supported: list each origin exactly".into());
    }
    let rest = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"))
        .ok_or_else(|| format!("--allow-origin `{value}` must start with http:// or https://"))?;
    if rest.is_empty() || rest.contains('/') {
        return Err(format!(
            "--allow-origin `{value}` must be scheme://host[:port], without a path or a trailing /"
        ));
    }
    Ok(value.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse(std::env::args().skip(1)) {
        Ok(Command::Run(config)) => config,
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("fota-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let port = config.port;
    // Before "listening" is printed: whoever reads that line may stop the emulator at once, and a
    // SIGTERM that came before its handler would kill the process with the signal instead.
    let stop = StopSignal::install();
    let emulator = match start(config).await {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("fota-emulator: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("fota-emulator listening on {}", emulator.url());
    let _ = std::io::stdout().flush();
    stop.wait().await;
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

/// SIGTERM and SIGINT (Ctrl-C), listened for from [`StopSignal::install`] on, so that a signal sent
/// as soon as the address is printed stops the emulator cleanly.
struct StopSignal {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl StopSignal {
    /// Installs the handlers now (on unix; elsewhere Ctrl-C is awaited in [`StopSignal::wait`]).
    fn install() -> StopSignal {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let signals = signal(SignalKind::terminate())
                .ok()
                .zip(signal(SignalKind::interrupt()).ok());
            StopSignal { signals }
        }
        #[cfg(not(unix))]
        StopSignal {}
    }

    /// Until the first of the signals arrives.
    async fn wait(self) {
        #[cfg(unix)]
        if let Some((mut terminate, mut interrupt)) = self.signals {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fota_emulator::DEFAULT_PORT;

    fn run(args: &[&str]) -> Result<Config, String> {
        match parse(args.iter().map(|a| a.to_string()))? {
            Command::Run(config) => Ok(config),
            Command::Help => Err("help".into()),
        }
    }

    #[test]
    fn defaults_listen_on_8787_for_trunk_serve() {
        let config = run(&[]).unwrap();
        assert_eq!(config.port, DEFAULT_PORT);
        assert_eq!(
            config.allowed_origins,
            ["http://127.0.0.1:8080", "http://localhost:8080"]
        );
        assert!(config.faults.is_empty());
        assert_eq!(config.rate_limit, None);
        assert!(config.mounts.is_empty());
        assert_eq!(config.csp, Some(Csp::default()));
        assert!(
            !config.keep_alive,
            "a drop fault needs one request per connection"
        );
    }

    #[test]
    fn every_flag_is_read_with_a_space_or_an_equals_sign() {
        let config = run(&[
            "--port=0",
            "--serve-dir",
            "dist",
            "--allow-origin",
            "http://localhost:3000",
            "--allow-origin=https://app.example",
            "--latency-ms",
            "50",
            "--jitter-ms=5",
            "--fault",
            "503:times=1:skip=1",
            "--fault=drop:share=0.25",
            "--fault=alb-503:retry-after-date=-30:retry-after-format=rfc850",
            "--fault",
            "variant:keys=documented:time=go-zero:every=2:numeric-id=true",
            "--keep-alive",
            "--rate-limit=rps=10:burst=20",
        ])
        .unwrap();
        assert!(config.keep_alive);
        assert_eq!(config.rate_limit, RateLimit::new(10.0, Some(20)).ok());
        assert_eq!(config.port, 0);
        assert_eq!(config.serve_dir, Some(PathBuf::from("dist")));
        assert_eq!(
            config.allowed_origins,
            ["http://localhost:3000", "https://app.example"]
        );
        assert_eq!((config.latency.ms, config.latency.jitter_ms), (50, 5));
        assert_eq!(config.faults.len(), 4);
    }

    #[test]
    fn policy_and_mount_flags_are_read() {
        let config = run(&[
            "--mount",
            "/tools/fota-sync",
            "--mount=/b/",
            "--csp-connect-src",
            "'self'",
            "--csp-connect-src=https://proxy.example.com",
            "--frame-ancestors",
            "http://127.0.0.1:9000",
        ])
        .unwrap();
        assert_eq!(config.mounts, ["/tools/fota-sync/", "/b/"]);
        let csp = config.csp.unwrap();
        assert_eq!(csp.connect_src, ["'self'", "https://proxy.example.com"]);
        assert_eq!(csp.frame_ancestors, ["http://127.0.0.1:9000"]);
        assert!(csp.header_value().contains(
            "connect-src 'self' https://proxy.example.com; frame-ancestors http://127.0.0.1:9000;"
        ));
        assert_eq!(run(&["--no-csp"]).unwrap().csp, None);
    }

    #[test]
    fn help_wins() {
        assert_eq!(run(&["--port", "1", "--help"]).unwrap_err(), "help");
    }

    #[test]
    fn mistakes_are_named() {
        for (args, needle) in [
            (&["--allow-origin", "*"][..], "not supported"),
            (&["--allow-origin", "http://x:8080/"], "trailing"),
            (&["--allow-origin", "localhost:8080"], "http://"),
            (&["--port", "eighty"], "not a valid number"),
            (&["--port"], "needs a value"),
            (&["--fault", "explode"], "unknown fault kind"),
            (&["--fault", "answer:file=iis-500"], "no recorded answer"),
            (&["--verbose"], "unknown argument"),
            (&["--mount", "/"], "served already"),
            (&["--mount", "tools"], "start with /"),
            (
                &["--csp-connect-src", "x; script-src *"],
                "--csp-connect-src",
            ),
            (&["--frame-ancestors"], "needs a value"),
            (&["--no-csp=yes"], "unknown argument"),
            (
                &["--rate-limit", "rps=0"],
                "--rate-limit: rate limit `rps=0`",
            ),
            (&["--rate-limit", "10"], "KEY=VALUE"),
        ] {
            let error = run(args).unwrap_err();
            assert!(error.contains(needle), "{args:?}: {error}");
        }
    }
}
