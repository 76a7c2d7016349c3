//! One typed configuration, read from the environment once at start-up.
//!
//! Every variable is optional: unset means the embedded default (SQLite under
//! `./data`, in-process everything), so `parley-server` runs with no external
//! service. The seed's `.env` names (`PORT`, `DB_HOST`, `JWT_SECRET`, …) are
//! accepted as aliases; a `PARLEY_*` name wins when both are set.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    pub db_max_connections: u32,
    /// How long a request waits for a database connection before it is
    /// answered 503 with Retry-After: while the database is down or
    /// restarting, clients hear so at once instead of hanging.
    pub db_acquire_timeout: Duration,
    /// `None`: a random secret is generated once and kept in `data_dir`.
    pub jwt_secret: Option<String>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub log_format: LogFormat,
    pub node_id: u16,
    /// Largest accepted JSON body.
    pub max_body_bytes: usize,
    /// `redis://…`: the Bus runs on Redis pub/sub (many nodes); unset = in-process.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key and channel, so clusters can share a Redis.
    pub redis_prefix: String,
    /// Clients send a frame at least this often; twice this silent = dead.
    pub ws_heartbeat: Duration,
    /// Frames queued per connection before a slow client is cut off.
    pub ws_queue: usize,
    /// A socket write taking longer than this ends the connection.
    pub ws_write_timeout: Duration,
    /// How long after the last connection closes a user turns offline.
    pub presence_grace: Duration,
    /// How often a node says it is alive; three silent intervals and the
    /// other nodes drop its users' presence.
    pub node_heartbeat: Duration,
    /// How long durable events are kept for RESUME (the replay window).
    pub event_retention: Duration,
    /// A typing indicator not renewed for this long is cleared for everyone.
    pub typing_expiry: Duration,
    /// Caps the kernel send buffer of each connection (bytes); unset = the
    /// kernel's autotuning. A cap bounds memory per idle-but-stuck client and
    /// lets back-pressure reach the hub sooner.
    pub socket_send_buffer: Option<usize>,
    /// A request whose header has not fully arrived this long after the
    /// connection started waiting for it is cut off (slowloris).
    pub header_read_timeout: Duration,
    /// A request body that sends nothing for this long is cut off.
    pub body_idle_timeout: Duration,
    /// Connections one client address may hold open over HTTP at once
    /// (upgraded WebSockets are not counted); 0 = no cap.
    pub max_connections_per_ip: usize,
    /// PEM certificate chain and private key: serve HTTPS/WSS when both are set.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Browser origins allowed to call the API cross-origin (CORS), besides
    /// the desktop app's (`api::DESKTOP_ORIGINS`, always allowed); empty =
    /// same-origin only for browsers.
    pub cors_origins: Vec<String>,
    /// The built web UI (`scripts/build-ui`): served at `/` for every path
    /// outside `/api`.
    pub web_dir: PathBuf,
    /// Requests per minute per client IP and per signed-in user (0 = off).
    pub rate_limit_per_min: u32,
    /// Requests per minute per IP to the sign-up/sign-in/refresh routes,
    /// and sign-in attempts per 15 minutes per account name (0 = off).
    pub auth_rate_limit_per_min: u32,
    /// Argon2id cost for new password hashes (existing hashes keep theirs).
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    /// Largest accepted upload (`PARLEY_MAX_UPLOAD_MB`, default 50 MB).
    pub max_upload_bytes: u64,
    /// Where uploads live when no S3 bucket is configured.
    pub files_dir: PathBuf,
    /// An S3-compatible bucket for uploads; `None` = `files_dir`.
    pub s3: Option<S3Config>,
    /// `amqp://…`: jobs go through RabbitMQ; unset = an in-process worker
    /// reading the outbox table.
    pub amqp_url: Option<String>,
    /// The RabbitMQ queue jobs go through.
    pub amqp_queue: String,
    /// The first retry delay of a failed job (later ones grow 4× each).
    pub job_retry_base: Duration,
    /// Elasticsearch base URL: message search runs there; unset = the
    /// database's own full-text index.
    pub elasticsearch_url: Option<String>,
    pub elasticsearch_index: String,
    /// VAPID private key (raw 32-byte P-256 scalar, base64url); `None`: one
    /// is generated on first start and kept in `data_dir`.
    pub vapid_private_key: Option<String>,
    /// The contact push services may use (`mailto:` or `https:`).
    pub vapid_subject: String,
    /// Accept push endpoints over plain HTTP and on private addresses
    /// (tests only; production endpoints are public HTTPS services).
    pub push_allow_insecure: bool,
    /// ICE servers handed to callers, and the embedded TURN relay.
    pub calls: CallsConfig,
}

/// Where call media is relayed. With no TURN server configured, Parley runs
/// its own relay in-process (like SQLite stands in for PostgreSQL);
/// coturn with `--use-auth-secret` is the production relay.
#[derive(Clone)]
pub struct CallsConfig {
    /// External TURN (`turn:`/`turns:`) and STUN (`stun:`) URLs.
    pub ice_urls: Vec<String>,
    /// coturn's `--static-auth-secret`: credentials are minted per user in
    /// the TURN REST API scheme. Also signs the embedded relay's credentials
    /// (one is generated and kept in the data directory when unset).
    pub turn_secret: Option<String>,
    /// Static credentials of an external TURN server (the seed's
    /// `TURN_USERNAME`/`TURN_PASSWORD`), used when no secret is set.
    pub turn_static: Option<(String, String)>,
    /// How long minted credentials stay valid.
    pub turn_ttl: Duration,
    /// Run the in-process relay (default: when no external TURN URL is set).
    pub embedded_turn: bool,
    /// The embedded relay's UDP port (0: any free port).
    pub turn_port: u16,
    /// The address relay candidates carry; unset: the listen address, or
    /// this machine's outbound address when listening on all interfaces.
    pub turn_public_ip: Option<IpAddr>,
    /// The host name in the embedded relay's URLs; unset: the host the
    /// client reached the API at.
    pub turn_host: Option<String>,
    /// Whether the embedded relay sends to private addresses; unset: when
    /// its own address is private (a LAN server), not when it is public.
    pub turn_private_peers: Option<bool>,
    pub ice_transport_policy: parley_shared::call::IceTransportPolicy,
    /// A participant not heard from for this long leaves its call.
    pub participant_timeout: Duration,
}

impl std::fmt::Debug for CallsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret and the static password never reach a log line.
        f.debug_struct("CallsConfig")
            .field("ice_urls", &self.ice_urls)
            .field("embedded_turn", &self.embedded_turn)
            .field("turn_port", &self.turn_port)
            .field("turn_public_ip", &self.turn_public_ip)
            .field("ice_transport_policy", &self.ice_transport_policy)
            .finish_non_exhaustive()
    }
}

/// A duration setting of at least `min`; `None` when unset.
fn duration_at_least(
    get: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
    min: Duration,
) -> Result<Option<Duration>, ConfigError> {
    get(name)
        .map(|v| {
            humantime::parse_duration(&v)
                .ok()
                .filter(|d| *d >= min)
                .ok_or_else(|| {
                    let min = humantime::format_duration(min);
                    bad(
                        name,
                        format!("expected a duration of at least {min}, like 12h"),
                    )
                })
        })
        .transpose()
}

fn calls_config(get: &dyn Fn(&str) -> Option<String>) -> Result<CallsConfig, ConfigError> {
    let first = |names: &[&str]| names.iter().find_map(|n| get(n));
    let mut ice_urls = Vec::new();
    for (names, schemes) in [
        (
            &["PARLEY_TURN_URLS", "TURN_SERVER_URL"][..],
            &["turn:", "turns:"][..],
        ),
        (
            &["PARLEY_STUN_URLS", "STUN_SERVER_URL"][..],
            &["stun:", "stuns:"][..],
        ),
    ] {
        for url in first(names).unwrap_or_default().split(',').map(str::trim) {
            if url.is_empty() {
                continue;
            }
            if !schemes.iter().any(|s| url.starts_with(s)) {
                return Err(bad(
                    if schemes[0] == "turn:" {
                        "PARLEY_TURN_URLS"
                    } else {
                        "PARLEY_STUN_URLS"
                    },
                    format!("expected {} URLs, comma-separated", schemes.join(" or ")),
                ));
            }
            ice_urls.push(url.to_owned());
        }
    }
    let turn_static = match (
        first(&["PARLEY_TURN_USERNAME", "TURN_USERNAME"]),
        first(&["PARLEY_TURN_PASSWORD", "TURN_PASSWORD"]),
    ) {
        (Some(u), Some(p)) => Some((u, p)),
        (None, None) => None,
        _ => {
            return Err(bad(
                "PARLEY_TURN_USERNAME",
                "set both PARLEY_TURN_USERNAME and PARLEY_TURN_PASSWORD, or neither",
            ))
        }
    };
    let external_turn = ice_urls.iter().any(|u| u.starts_with("turn"));
    let embedded_turn = match get("PARLEY_TURN_EMBEDDED").as_deref() {
        None => !external_turn,
        Some("on" | "true" | "1") => true,
        Some("off" | "false" | "0") => false,
        Some(_) => return Err(bad("PARLEY_TURN_EMBEDDED", "expected on or off")),
    };
    let turn_ttl = duration_at_least(get, "PARLEY_TURN_TTL", Duration::from_secs(60))?
        .unwrap_or(Duration::from_secs(12 * 3600));
    Ok(CallsConfig {
        ice_urls,
        turn_secret: first(&["PARLEY_TURN_SECRET", "TURN_SECRET"]),
        turn_static,
        turn_ttl,
        embedded_turn,
        turn_port: match get("PARLEY_TURN_PORT") {
            Some(p) => p
                .parse()
                .map_err(|_| bad("PARLEY_TURN_PORT", "expected a port number (0: any)"))?,
            None => 3478,
        },
        turn_public_ip: get("PARLEY_TURN_PUBLIC_IP")
            .map(|v| v.parse())
            .transpose()
            .map_err(|_| bad("PARLEY_TURN_PUBLIC_IP", "expected an IP address"))?,
        turn_host: get("PARLEY_TURN_HOST"),
        turn_private_peers: match get("PARLEY_TURN_PRIVATE_PEERS").as_deref() {
            None => None,
            Some("allow") => Some(true),
            Some("deny") => Some(false),
            Some(_) => return Err(bad("PARLEY_TURN_PRIVATE_PEERS", "expected allow or deny")),
        },
        participant_timeout: duration_at_least(get, "PARLEY_CALL_TIMEOUT", Duration::from_secs(3))?
            .unwrap_or(Duration::from_millis(
                parley_shared::call::PARTICIPANT_TIMEOUT_MS,
            )),
        ice_transport_policy: match get("PARLEY_ICE_TRANSPORT_POLICY").as_deref() {
            None | Some("all") => parley_shared::call::IceTransportPolicy::All,
            Some("relay") => parley_shared::call::IceTransportPolicy::Relay,
            Some(_) => return Err(bad("PARLEY_ICE_TRANSPORT_POLICY", "expected all or relay")),
        },
    })
}

/// Path-style S3 access (MinIO, SeaweedFS, Ceph and AWS all accept it).
#[derive(Clone)]
pub struct S3Config {
    pub endpoint: String,
    pub bucket: String,
    /// Put before every key, so several deployments can share a bucket.
    pub prefix: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The keys never reach a log line.
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

fn bad(name: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        name,
        problem: problem.into(),
    }
}

/// Percent-encodes a URL userinfo part (user or password).
fn encode_userinfo(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Reads configuration through `get` (the environment in production, a
    /// map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let first = |names: &[&str]| names.iter().find_map(|n| get(n));

        let host: IpAddr = match get("PARLEY_HOST") {
            Some(h) => h
                .parse()
                .map_err(|_| bad("PARLEY_HOST", "expected an IP address"))?,
            None => IpAddr::from([127, 0, 0, 1]),
        };
        let port: u16 = match first(&["PARLEY_PORT", "PORT"]) {
            Some(p) => p
                .parse()
                .map_err(|_| bad("PARLEY_PORT", "expected a port number"))?,
            None => 8080,
        };
        let data_dir = PathBuf::from(get("PARLEY_DATA_DIR").unwrap_or_else(|| "./data".into()));

        let database_url = match get("PARLEY_DATABASE_URL") {
            Some(url) => url,
            None => match get("DB_HOST") {
                Some(host) => {
                    let port = get("DB_PORT").unwrap_or_else(|| "5432".into());
                    let user = get("DB_USER").unwrap_or_else(|| "postgres".into());
                    let name = get("DB_NAME").unwrap_or_else(|| "parley".into());
                    let auth = match get("DB_PASSWORD") {
                        Some(pw) => format!("{}:{}", encode_userinfo(&user), encode_userinfo(&pw)),
                        None => encode_userinfo(&user),
                    };
                    format!("postgres://{auth}@{host}:{port}/{name}")
                }
                None => format!("sqlite://{}/parley.db", data_dir.display()),
            },
        };
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(bad(
                "PARLEY_DATABASE_URL",
                "expected a sqlite:// or postgres:// URL",
            ));
        }

        let duration = |names: &[&str], name: &'static str, default: Duration| match first(names) {
            Some(v) => humantime::parse_duration(&v)
                .map_err(|e| bad(name, format!("expected a duration like 15m or 7d: {e}"))),
            None => Ok(default),
        };
        let access_ttl = duration(
            &["PARLEY_JWT_ACCESS_TTL", "JWT_ACCESS_TTL"],
            "PARLEY_JWT_ACCESS_TTL",
            Duration::from_secs(15 * 60),
        )?;
        let refresh_ttl = duration(
            &["PARLEY_JWT_REFRESH_TTL", "JWT_REFRESH_TTL"],
            "PARLEY_JWT_REFRESH_TTL",
            Duration::from_secs(7 * 24 * 3600),
        )?;

        let ws_heartbeat = duration(
            &["PARLEY_WS_HEARTBEAT"],
            "PARLEY_WS_HEARTBEAT",
            Duration::from_secs(30),
        )?;
        let ws_write_timeout = duration(
            &["PARLEY_WS_WRITE_TIMEOUT"],
            "PARLEY_WS_WRITE_TIMEOUT",
            Duration::from_secs(10),
        )?;
        let presence_grace = duration(
            &["PARLEY_PRESENCE_GRACE"],
            "PARLEY_PRESENCE_GRACE",
            Duration::from_secs(30),
        )?;
        let node_heartbeat = duration(
            &["PARLEY_NODE_HEARTBEAT"],
            "PARLEY_NODE_HEARTBEAT",
            Duration::from_secs(10),
        )?;
        let event_retention = duration(
            &["PARLEY_EVENT_RETENTION"],
            "PARLEY_EVENT_RETENTION",
            Duration::from_secs(24 * 3600),
        )?;
        let header_read_timeout = duration(
            &["PARLEY_HEADER_READ_TIMEOUT"],
            "PARLEY_HEADER_READ_TIMEOUT",
            Duration::from_secs(30),
        )?;
        let body_idle_timeout = duration(
            &["PARLEY_BODY_IDLE_TIMEOUT"],
            "PARLEY_BODY_IDLE_TIMEOUT",
            Duration::from_secs(30),
        )?;
        let db_acquire_timeout = duration(
            &["PARLEY_DB_ACQUIRE_TIMEOUT"],
            "PARLEY_DB_ACQUIRE_TIMEOUT",
            Duration::from_millis(750),
        )?;
        let typing_expiry = duration(
            &["PARLEY_TYPING_EXPIRY"],
            "PARLEY_TYPING_EXPIRY",
            Duration::from_secs(6),
        )?;
        // A whole number within bounds, or None when unset.
        let number = |name: &'static str, min: u64, max: u64| -> Result<Option<u64>, ConfigError> {
            get(name)
                .map(|v| {
                    v.parse::<u64>()
                        .ok()
                        .filter(|n| (min..=max).contains(n))
                        .ok_or_else(|| {
                            bad(name, format!("expected a whole number from {min} to {max}"))
                        })
                })
                .transpose()
        };
        // The bounds keep every `as` below lossless.
        let ws_queue = number("PARLEY_WS_QUEUE", 4, 1 << 20)?.map_or(1024, |n| n as usize);
        let socket_send_buffer =
            number("PARLEY_SOCKET_SEND_BUFFER", 4096, 1 << 30)?.map(|n| n as usize);
        let max_connections_per_ip =
            number("PARLEY_MAX_CONNECTIONS_PER_IP", 0, 1 << 20)?.map_or(256, |n| n as usize);
        let u32_max = u64::from(u32::MAX);
        let rate_limit_per_min =
            number("PARLEY_RATE_LIMIT_PER_MIN", 0, u32_max)?.map_or(600, |n| n as u32);
        let auth_rate_limit_per_min =
            number("PARLEY_AUTH_RATE_LIMIT_PER_MIN", 0, u32_max)?.map_or(30, |n| n as u32);
        let argon2_memory_kib =
            number("PARLEY_ARGON2_MEMORY_KIB", 64, u32_max)?.map_or(19 * 1024, |n| n as u32);
        let argon2_iterations =
            number("PARLEY_ARGON2_ITERATIONS", 1, u32_max)?.map_or(2, |n| n as u32);
        let node_id = number("PARLEY_NODE_ID", 0, 1023)?.map_or(0, |n| n as u16);
        let db_max_connections =
            number("PARLEY_DB_MAX_CONNECTIONS", 1, 10_000)?.map_or(10, |n| n as u32);
        let redis_url = match get("PARLEY_REDIS_URL") {
            Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => Some(url),
            Some(_) => return Err(bad("PARLEY_REDIS_URL", "expected a redis:// URL")),
            None => get("REDIS_HOST").map(|host| {
                let port = get("REDIS_PORT").unwrap_or_else(|| "6379".into());
                format!("redis://{host}:{port}")
            }),
        };

        let max_upload_bytes =
            number("PARLEY_MAX_UPLOAD_MB", 1, 100 * 1024)?.map_or(50, |n| n) * 1024 * 1024;
        let s3 = match first(&["PARLEY_S3_ENDPOINT", "S3_ENDPOINT"]).filter(|e| !e.is_empty()) {
            None => None,
            Some(endpoint) => {
                if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
                    return Err(bad("PARLEY_S3_ENDPOINT", "expected an http(s):// URL"));
                }
                let key = |names: &[&str], name: &'static str| {
                    first(names).ok_or_else(|| bad(name, "required when PARLEY_S3_ENDPOINT is set"))
                };
                Some(S3Config {
                    endpoint: endpoint.trim_end_matches('/').to_owned(),
                    bucket: first(&["PARLEY_S3_BUCKET", "S3_BUCKET"])
                        .unwrap_or_else(|| "chatapp-files".into()),
                    region: get("PARLEY_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                    prefix: get("PARLEY_S3_PREFIX").unwrap_or_default(),
                    access_key: key(
                        &["PARLEY_S3_ACCESS_KEY", "S3_ACCESS_KEY"],
                        "PARLEY_S3_ACCESS_KEY",
                    )?,
                    secret_key: key(
                        &["PARLEY_S3_SECRET_KEY", "S3_SECRET_KEY"],
                        "PARLEY_S3_SECRET_KEY",
                    )?,
                })
            }
        };
        let amqp_url = match first(&["PARLEY_AMQP_URL", "RABBITMQ_URL"]).filter(|u| !u.is_empty()) {
            Some(u) if u.starts_with("amqp://") || u.starts_with("amqps://") => Some(u),
            Some(_) => return Err(bad("PARLEY_AMQP_URL", "expected an amqp:// URL")),
            None => None,
        };
        let elasticsearch_url = match first(&["PARLEY_ELASTICSEARCH_URL", "ES_ADDRESSES"])
            .and_then(|v| {
                v.split(',')
                    .next()
                    .map(|u| u.trim().trim_end_matches('/').to_owned())
            })
            .filter(|u| !u.is_empty())
        {
            Some(u) if u.starts_with("http://") || u.starts_with("https://") => Some(u),
            Some(_) => {
                return Err(bad(
                    "PARLEY_ELASTICSEARCH_URL",
                    "expected an http(s):// URL",
                ))
            }
            None => None,
        };
        let files_dir = get("PARLEY_FILES_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("files"));

        let jwt_secret = first(&["PARLEY_JWT_SECRET", "JWT_SECRET"]);
        if let Some(s) = &jwt_secret {
            if s.len() < 32 {
                return Err(bad(
                    "PARLEY_JWT_SECRET",
                    "must be at least 32 bytes (generate one with `openssl rand -hex 32`)",
                ));
            }
        }

        let log_format = match get("PARLEY_LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(_) => return Err(bad("PARLEY_LOG_FORMAT", "expected pretty or json")),
        };
        Ok(Config {
            bind: SocketAddr::new(host, port),
            data_dir,
            database_url,
            db_max_connections,
            db_acquire_timeout,
            jwt_secret,
            access_ttl,
            refresh_ttl,
            log_format,
            node_id,
            max_body_bytes: 64 * 1024,
            redis_url,
            redis_prefix: get("PARLEY_REDIS_PREFIX").unwrap_or_else(|| "parley".into()),
            ws_heartbeat,
            ws_queue,
            ws_write_timeout,
            presence_grace,
            node_heartbeat,
            event_retention,
            typing_expiry,
            socket_send_buffer,
            header_read_timeout,
            body_idle_timeout,
            max_connections_per_ip,
            argon2_memory_kib,
            argon2_iterations,
            max_upload_bytes,
            files_dir,
            s3,
            amqp_url,
            amqp_queue: get("PARLEY_AMQP_QUEUE").unwrap_or_else(|| "parley.jobs".into()),
            job_retry_base: Duration::from_millis(
                number("PARLEY_JOB_RETRY_BASE_MS", 1, 3_600_000)?.unwrap_or(1000),
            ),
            elasticsearch_url,
            elasticsearch_index: get("PARLEY_ELASTICSEARCH_INDEX")
                .unwrap_or_else(|| "parley-messages".into()),
            vapid_private_key: get("PARLEY_VAPID_PRIVATE_KEY"),
            vapid_subject: match get("PARLEY_VAPID_SUBJECT") {
                Some(s) if s.starts_with("mailto:") || s.starts_with("https://") => s,
                Some(_) => return Err(bad("PARLEY_VAPID_SUBJECT", "expected mailto: or https:")),
                None => "mailto:admin@parley.invalid".into(),
            },
            push_allow_insecure: get("PARLEY_PUSH_ALLOW_INSECURE").as_deref() == Some("true"),
            calls: calls_config(&get)?,
            rate_limit_per_min,
            auth_rate_limit_per_min,
            tls: match (get("PARLEY_TLS_CERT"), get("PARLEY_TLS_KEY")) {
                (Some(c), Some(k)) => Some((PathBuf::from(c), PathBuf::from(k))),
                (None, None) => None,
                _ => {
                    return Err(bad(
                        "PARLEY_TLS_CERT",
                        "set both PARLEY_TLS_CERT and PARLEY_TLS_KEY, or neither",
                    ))
                }
            },
            web_dir: PathBuf::from(get("PARLEY_WEB_DIR").unwrap_or_else(|| "desktop/dist".into())),
            cors_origins: get("PARLEY_CORS_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().trim_end_matches('/').to_owned())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_embedded() {
        let c = from(&[]).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://./data/parley.db");
        assert_eq!(c.access_ttl, Duration::from_secs(900));
        assert_eq!(c.refresh_ttl, Duration::from_secs(7 * 86400));
        assert!(c.jwt_secret.is_none());
        assert!(c.redis_url.is_none());
        assert_eq!(c.ws_heartbeat, Duration::from_secs(30));
        assert_eq!(c.presence_grace, Duration::from_secs(30));
        assert_eq!(c.web_dir, PathBuf::from("desktop/dist"));
    }

    #[test]
    fn calls_relay_in_process_unless_a_turn_server_is_named() {
        let c = from(&[]).unwrap().calls;
        assert!(c.embedded_turn && c.ice_urls.is_empty() && c.turn_port == 3478);
        let c = from(&[
            (
                "TURN_SERVER_URL",
                "turn:turn.example.org:3478?transport=udp",
            ),
            ("TURN_USERNAME", "u"),
            ("TURN_PASSWORD", "p"),
            ("PARLEY_STUN_URLS", "stun:stun.example.org:3478"),
            ("PARLEY_ICE_TRANSPORT_POLICY", "relay"),
        ])
        .unwrap()
        .calls;
        assert!(!c.embedded_turn);
        assert_eq!(c.ice_urls.len(), 2);
        assert_eq!(c.turn_static, Some(("u".into(), "p".into())));
        assert!(!format!("{c:?}").contains("\"p\""), "password in Debug");
        for bad in [
            &[("PARLEY_TURN_URLS", "http://x")][..],
            &[("PARLEY_TURN_USERNAME", "u")][..],
            &[("PARLEY_TURN_EMBEDDED", "maybe")][..],
            &[("PARLEY_ICE_TRANSPORT_POLICY", "none")][..],
            &[("PARLEY_TURN_TTL", "5s")][..],
        ] {
            assert!(from(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn seed_env_names_are_aliases() {
        let c = from(&[
            ("PORT", "9000"),
            ("DB_HOST", "db"),
            ("DB_USER", "chatapp"),
            ("DB_PASSWORD", "p@ss word"),
            ("DB_NAME", "chatapp_db"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("JWT_ACCESS_TTL", "5m"),
            ("REDIS_HOST", "cache"),
        ])
        .unwrap();
        assert_eq!(c.bind.port(), 9000);
        assert_eq!(
            c.database_url,
            "postgres://chatapp:p%40ss%20word@db:5432/chatapp_db"
        );
        assert_eq!(c.access_ttl, Duration::from_secs(300));
        assert_eq!(c.redis_url.as_deref(), Some("redis://cache:6379"));
        assert!(c.is_postgres());
    }

    #[test]
    fn bad_values_are_named() {
        let e = from(&[("PARLEY_JWT_ACCESS_TTL", "soon")]).unwrap_err();
        assert_eq!(e.name, "PARLEY_JWT_ACCESS_TTL");
        assert!(from(&[("JWT_SECRET", "short")]).is_err());
        assert!(from(&[("PARLEY_DATABASE_URL", "mysql://x")]).is_err());
        assert!(from(&[("PARLEY_NODE_ID", "5000")]).is_err());
    }
}
