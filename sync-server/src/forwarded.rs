//! Who sent a request that came through proxies: the client's address from `X-Forwarded-For`,
//! believed only when the relay was told to trust the proxy that passed it on.
//!
//! Each proxy appends the address it got the request from, so the header reads
//! `client, proxy 1, proxy 2` and the TCP peer is the last proxy. Anything left of an address
//! written by a trusted proxy may have been written by the client itself, so the client is the
//! rightmost address that is not a trusted proxy. Pure: the caller passes the peer and the
//! header's values.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// A block of addresses such as `10.0.0.0/8` or `2001:db8::/32`; a bare address is a block of
/// one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `addr` is in the block (an IPv4 address written as IPv6, `::ffff:a.b.c.d`,
    /// counts as the IPv4 address).
    pub fn contains(&self, addr: IpAddr) -> bool {
        let (network, addr, bits) = match (self.network, addr.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(addr)) => (
                u128::from(u32::from(network)),
                u128::from(u32::from(addr)),
                32,
            ),
            (IpAddr::V6(network), IpAddr::V6(addr)) => (u128::from(network), u128::from(addr), 128),
            _ => return false,
        };
        // The bits past the prefix do not count; a prefix of 0 matches everything.
        (network ^ addr)
            .checked_shr(bits - u32::from(self.prefix))
            .unwrap_or(0)
            == 0
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let usage = || {
            format!(
                "`{text}` is not an address or a block of addresses: write e.g. 10.0.0.5, \
                 10.0.0.0/8 or 2001:db8::/32"
            )
        };
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network = address
            .parse::<IpAddr>()
            .map_err(|_| usage())?
            .to_canonical();
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) => prefix.parse::<u8>().map_err(|_| usage())?,
        };
        if prefix > bits {
            return Err(format!(
                "`{text}`: an {} address has {bits} bits, so its prefix is at most /{bits}",
                if network.is_ipv4() { "IPv4" } else { "IPv6" }
            ));
        }
        Ok(Cidr { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The proxies whose `X-Forwarded-For` the relay believes (`serve --trusted-proxy`); none by
/// default, and then the header is ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    pub fn new(blocks: Vec<Cidr>) -> Self {
        Self(blocks)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        self.0.iter().any(|block| block.contains(addr))
    }

    /// The client's address for a request from `peer` carrying these `X-Forwarded-For`
    /// values, in the order they came: `peer` itself unless it is a trusted proxy. An entry
    /// that is not an address stops the walk at the trusted proxy that passed it on, so a
    /// garbled header can never make a request seem to come from further away.
    pub fn client<'a>(&self, peer: IpAddr, forwarded_for: impl Iterator<Item = &'a str>) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let entries: Vec<&str> = forwarded_for.flat_map(|value| value.split(',')).collect();
        let mut client = peer;
        for entry in entries.into_iter().rev() {
            let Some(addr) = parse_entry(entry) else {
                break;
            };
            client = addr;
            if !self.contains(addr) {
                break;
            }
        }
        client
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let blocks: Vec<String> = self.0.iter().map(Cidr::to_string).collect();
        f.write_str(&blocks.join(", "))
    }
}

/// One address of `X-Forwarded-For`: bare, bracketed IPv6, or with a port (some load
/// balancers add one).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let bare = entry
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(entry);
    bare.parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
        .map(|addr| addr.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn trusting(blocks: &[&str]) -> TrustedProxies {
        TrustedProxies::new(blocks.iter().map(|b| b.parse().unwrap()).collect())
    }

    #[test]
    fn blocks_hold_the_addresses_under_their_prefix() {
        let cases = [
            ("10.0.0.0/8", "10.200.3.4", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("192.0.2.7", "192.0.2.7", true),
            ("192.0.2.7", "192.0.2.8", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("2001:db8::/32", "2001:db8:ffff::1", true),
            ("2001:db8::/32", "2001:db9::1", false),
            ("::/0", "::1", true),
            ("127.0.0.1/32", "::ffff:127.0.0.1", true),
            ("::ffff:127.0.0.1", "127.0.0.1", true),
            ("10.0.0.0/8", "::1", false),
        ];
        for (block, addr, expected) in cases {
            let cidr: Cidr = block.parse().unwrap();
            assert_eq!(cidr.contains(ip(addr)), expected, "{block} holds {addr}");
        }
    }

    #[test]
    fn a_bad_block_says_what_to_write() {
        for bad in [
            "",
            "10.0.0",
            "10.0.0.0/",
            "10.0.0.0/x",
            "proxy.local",
            "10.0.0.0/8/8",
        ] {
            let error = bad.parse::<Cidr>().unwrap_err();
            assert!(error.contains("10.0.0.0/8"), "{bad}: {error}");
        }
        assert!(
            "10.0.0.0/33"
                .parse::<Cidr>()
                .unwrap_err()
                .contains("at most /32")
        );
        assert!(
            "::/129"
                .parse::<Cidr>()
                .unwrap_err()
                .contains("at most /128")
        );
    }

    #[test]
    fn the_client_is_the_rightmost_address_that_is_not_a_trusted_proxy() {
        let proxies = trusting(&["10.0.0.0/8"]);
        let cases: [(&str, &[&str], &str); 8] = [
            // A client straight at the relay: its header is its own invention.
            ("203.0.113.9", &["198.51.100.1"], "203.0.113.9"),
            // Through one proxy.
            ("10.0.0.1", &["198.51.100.1"], "198.51.100.1"),
            // The client forged an entry on the left; the proxy appended the real one.
            ("10.0.0.1", &["192.0.2.66, 198.51.100.1"], "198.51.100.1"),
            // Through two proxies, the headers of each kept apart.
            ("10.0.0.1", &["198.51.100.1", "10.0.0.2"], "198.51.100.1"),
            // No header: the proxy itself.
            ("10.0.0.1", &[], "10.0.0.1"),
            // Only proxies: the leftmost of them.
            ("10.0.0.1", &["10.0.0.3, 10.0.0.2"], "10.0.0.3"),
            // Garbage stops at the proxy that passed it on.
            (
                "10.0.0.1",
                &["198.51.100.1, not-an-address, 10.0.0.2"],
                "10.0.0.2",
            ),
            // Ports and brackets as some balancers write them.
            ("10.0.0.1", &["[2001:db8::5]:443"], "2001:db8::5"),
        ];
        for (peer, headers, expected) in cases {
            let client = proxies.client(ip(peer), headers.iter().copied());
            assert_eq!(client, ip(expected), "from {peer} with {headers:?}");
        }
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        let client = none.client(ip("127.0.0.1"), ["198.51.100.1"].into_iter());
        assert_eq!(client, ip("127.0.0.1"));
    }
}
