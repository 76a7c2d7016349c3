//! The one way the server fetches a URL a user supplied (Web Push
//! endpoints today; webhooks and link previews next), so that nobody can
//! make it call into the network it runs in (SSRF).
//!
//! What must stay true:
//! - a URL is parsed by the `url` crate (WHATWG rules, so `127.1`,
//!   `2130706433` and `0x7f000001` are the loopback address they mean) and
//!   must be https, without credentials;
//! - every address is checked, the literal one or each one a name resolves
//!   to, and the client connects only to addresses that passed: its
//!   resolver is [`GuardedResolver`], so a name that resolves differently
//!   the second time (DNS rebinding) is checked again at connect time;
//! - redirects are not followed, no proxy from the environment is used,
//!   and connect and the whole request have time bounds. (Web Push reads
//!   no response body; a fetch that does must bound what it reads.)
//!
//! `PARLEY_PUSH_ALLOW_INSECURE` (tests only) turns the address checks off
//! and allows http, so tests can stand a push service up on 127.0.0.1.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Why a URL may not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("must be a URL")]
    NotAUrl,
    #[error("must be an https URL")]
    NotHttps,
    #[error("must not carry a user name or password")]
    Credentials,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("must name a public address (not {0})")]
    NotPublic(IpAddr),
    #[error("its host does not resolve")]
    Unresolvable,
    #[error("must name a public host (not {0})")]
    LocalName(String),
}

pub const URL_MAX: usize = 2048;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The rules for one kind of fetch.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Tests only: allow http and any address.
    pub allow_private: bool,
}

/// Is this an address on the public internet? Everything a deployment
/// may keep for itself is not: loopback, private, link-local, CGNAT,
/// unique-local, multicast, unspecified, broadcast, documentation,
/// benchmarking and reserved ranges, and IPv6 forms that embed one of them
/// (IPv4-mapped, -compatible, NAT64, 6to4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 198 && (b == 18 || b == 19)) // benchmarking 198.18/15
        || a >= 240) // reserved, and broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation 2001:db8::/32
        || (s[0] == 0x2001 && s[1] == 0x0002 && s[2] == 0) // benchmarking 2001:2::/48
        || (s[0] == 0x2001 && s[1] == 0) // Teredo 2001::/32
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0])) // discard-only 100::/64
}

/// The IPv4 address an IPv6 one stands for, where it embeds one: mapped
/// (`::ffff:a.b.c.d`), compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`)
/// and 6to4 (`2002:AABB:CCDD::/48`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] && !(s[6] == 0 && s[7] <= 1) {
        return Some(tail()); // IPv4-compatible (not :: or ::1)
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return Some(tail());
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

/// Parses `raw` and checks what can be checked without the network: the
/// scheme, credentials, length, and a literal address.
pub fn check_url(raw: &str, policy: Policy) -> Result<Url, OutboundError> {
    if raw.len() > URL_MAX {
        return Err(OutboundError::TooLong(URL_MAX));
    }
    let url = Url::parse(raw).map_err(|_| OutboundError::NotAUrl)?;
    match (url.scheme(), policy.allow_private) {
        ("https", _) | ("http", true) => {}
        _ => return Err(OutboundError::NotHttps),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(OutboundError::Credentials);
    }
    let literal = match url.host() {
        None => return Err(OutboundError::NotAUrl),
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => {
            // Names that mean "this machine" or "this network" by
            // convention are refused before any lookup (resolution catches
            // the rest).
            let bare = name.trim_end_matches('.');
            let local = [".localhost", ".local", ".internal", ".home.arpa"];
            if !policy.allow_private
                && (bare == "localhost" || local.iter().any(|s| bare.ends_with(s)))
            {
                return Err(OutboundError::LocalName(name.to_owned()));
            }
            None
        }
    };
    if let Some(ip) = literal.filter(|ip| !policy.allow_private && !is_public(*ip)) {
        return Err(OutboundError::NotPublic(ip));
    }
    Ok(url)
}

/// [`check_url`], then resolves a host name and checks every address it
/// has: what a subscription is checked with before it is stored.
pub async fn check_url_resolved(raw: &str, policy: Policy) -> Result<Url, OutboundError> {
    let url = check_url(raw, policy)?;
    if let (Some(Host::Domain(name)), false) = (url.host(), policy.allow_private) {
        resolve_public(name, url.port_or_known_default().unwrap_or(443)).await?;
    }
    Ok(url)
}

/// Every address of `name`, all of them public, or why not.
async fn resolve_public(name: &str, port: u16) -> Result<Vec<SocketAddr>, OutboundError> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
        .await
        .map_err(|_| OutboundError::Unresolvable)?
        .collect();
    if addrs.is_empty() {
        return Err(OutboundError::Unresolvable);
    }
    // One private address is enough to refuse: a name that mixes them is
    // a rebinding attempt, not a push service.
    if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(OutboundError::NotPublic(bad.ip()));
    }
    Ok(addrs)
}

/// reqwest's resolver for guarded clients: the client connects only to
/// addresses that passed [`is_public`].
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let addrs = resolve_public(name.as_str(), 0)
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { Box::new(e) })?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The HTTP client every server-side fetch of a user-supplied URL uses.
/// Literal addresses never reach the resolver, so callers check URLs with
/// [`check_url`] before each request.
pub fn client(policy: Policy) -> reqwest::Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT);
    let builder = if policy.allow_private {
        builder
    } else {
        builder.dns_resolver(Arc::new(GuardedResolver))
    };
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: Policy = Policy {
        allow_private: false,
    };

    #[test]
    fn every_disguise_of_an_internal_address_is_refused() {
        for raw in [
            "https://127.1/x",
            "https://2130706433/x",
            "https://0x7f000001/x",
            "https://017700000001/x",
            "https://[::ffff:127.0.0.1]/x",
            "https://[::127.0.0.1]/x",
            "https://[64:ff9b::7f00:1]/x",
            "https://[2002:7f00:1::]/x",
            "https://[fe80::1]/x",
            "https://[fc00::1]/x",
            "https://[::1]/x",
            "https://[::]/x",
            "https://0.0.0.0/x",
            "https://100.64.0.1/x",
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.1/x",
            "https://172.16.0.1/x",
            "https://192.168.1.1/x",
            "https://192.0.2.1/x",
            "https://198.18.0.1/x",
            "https://224.0.0.1/x",
            "https://255.255.255.255/x",
            "https://[2001:db8::1]/x",
            "https://[ff02::1]/x",
        ] {
            assert!(
                matches!(check_url(raw, STRICT), Err(OutboundError::NotPublic(_))),
                "{raw}: {:?}",
                check_url(raw, STRICT)
            );
        }
    }

    #[test]
    fn only_https_without_credentials_passes() {
        assert_eq!(
            check_url("http://push.example.com/x", STRICT),
            Err(OutboundError::NotHttps)
        );
        assert_eq!(
            check_url("ftp://push.example.com/x", STRICT),
            Err(OutboundError::NotHttps)
        );
        assert_eq!(
            check_url("https://u:p@push.example.com/x", STRICT),
            Err(OutboundError::Credentials)
        );
        assert_eq!(check_url("not a url", STRICT), Err(OutboundError::NotAUrl));
        assert!(check_url("https://fcm.googleapis.com/fcm/send/abc", STRICT).is_ok());
        assert!(check_url("https://8.8.8.8/x", STRICT).is_ok());
        assert!(check_url("https://[2606:4700::1111]/x", STRICT).is_ok());
    }

    #[tokio::test]
    async fn names_that_resolve_inside_are_refused() {
        for raw in [
            "https://localhost/x",
            "https://LOCALHOST./x",
            "https://printer.local/x",
        ] {
            let got = check_url_resolved(raw, STRICT).await;
            assert!(
                matches!(got, Err(OutboundError::LocalName(_))),
                "{raw}: {got:?}"
            );
        }
        // A name that is not conventionally local but resolves inside.
        let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
        let host = host.trim();
        if !host.is_empty() && !host.contains('.') {
            let got = check_url_resolved(&format!("https://{host}/x"), STRICT).await;
            assert!(
                matches!(
                    got,
                    Err(OutboundError::NotPublic(_) | OutboundError::Unresolvable)
                ),
                "{host}: {got:?}"
            );
        }
    }

    #[tokio::test]
    async fn the_client_never_connects_inside() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let client = client(STRICT).expect("client");
        // A name resolving to the listener: the resolver refuses it.
        let got = client.get(format!("http://localhost:{port}/")).send().await;
        assert!(got.is_err(), "{got:?}");
        let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "the guarded client connected");
    }
}
