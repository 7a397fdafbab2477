//! Where a simulator's three listeners bind, and binding them with errors that say which one
//! failed and why.
//!
//! Tests and the demo take free loopback ports ([`Listen::loopback`]); `flightdeck sim
//! --listen HOST:PORT` lays the faces out on PORT, PORT+1 and PORT+2
//! ([`Listen::consecutive`]), so a user only has to remember one number.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};

use tokio::net::TcpListener;

/// The address of each face's listener. Port 0 lets the system pick a free port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listen {
    /// Harness NextGen REST and the First Gen GraphQL endpoint, on one host as on the real
    /// service.
    pub harness: SocketAddr,
    pub argo: SocketAddr,
    pub infraxys: SocketAddr,
}

impl Listen {
    /// Free ports on 127.0.0.1, picked by the system.
    pub fn loopback() -> Listen {
        let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        Listen {
            harness: any,
            argo: any,
            infraxys: any,
        }
    }

    /// Harness on `base`, Argo on the next port, Infraxys on the one after. A `base` port of
    /// 0 lets the system pick all three.
    pub fn consecutive(base: SocketAddr) -> Result<Listen, String> {
        let at = |offset: u16| -> Result<SocketAddr, String> {
            if base.port() == 0 {
                return Ok(base);
            }
            let port = base.port().checked_add(offset).ok_or_else(|| {
                format!(
                    "port {} leaves no room for PORT+1 and PORT+2 (the Argo and Infraxys \
                     faces); use a port up to 65533",
                    base.port()
                )
            })?;
            Ok(SocketAddr::new(base.ip(), port))
        };
        Ok(Listen {
            harness: at(0)?,
            argo: at(1)?,
            infraxys: at(2)?,
        })
    }

    /// Whether every listener is reachable only from this machine.
    pub fn is_loopback(&self) -> bool {
        [self.harness, self.argo, self.infraxys]
            .iter()
            .all(|a| a.ip().is_loopback())
    }
}

/// The three listeners, bound.
pub(crate) struct Bound {
    pub(crate) harness: TcpListener,
    pub(crate) argo: TcpListener,
    pub(crate) infraxys: TcpListener,
}

/// Binds every listener before anything starts, so a taken port fails the whole start with
/// the address and face it concerns.
pub(crate) async fn bind(listen: &Listen) -> io::Result<Bound> {
    Ok(Bound {
        harness: bind_one(listen.harness, "Harness (NextGen and First Gen)").await?,
        argo: bind_one(listen.argo, "Argo Workflows").await?,
        infraxys: bind_one(listen.infraxys, "Infraxys").await?,
    })
}

async fn bind_one(addr: SocketAddr, face: &str) -> io::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot listen on {addr} for the {face} face: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn consecutive_ports_follow_the_base() {
        let l = Listen::consecutive(addr("127.0.0.1:7000")).unwrap();
        assert_eq!(l.harness, addr("127.0.0.1:7000"));
        assert_eq!(l.argo, addr("127.0.0.1:7001"));
        assert_eq!(l.infraxys, addr("127.0.0.1:7002"));
        assert!(l.is_loopback());
    }

    #[test]
    fn port_zero_picks_free_ports_for_all() {
        let l = Listen::consecutive(addr("[::1]:0")).unwrap();
        assert_eq!(l.argo, addr("[::1]:0"));
        assert_eq!(l.infraxys, addr("[::1]:0"));
    }

    #[test]
    fn the_last_ports_are_refused() {
        let err = Listen::consecutive(addr("127.0.0.1:65534")).unwrap_err();
        assert!(err.contains("65533"), "{err}");
        assert!(
            !Listen::consecutive(addr("0.0.0.0:7000"))
                .unwrap()
                .is_loopback()
        );
    }
}
