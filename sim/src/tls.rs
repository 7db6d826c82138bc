//! HTTPS for the simulator: a rustls front that terminates TLS on the public port and
//! relays plain HTTP to the internal tiny_http listener (tiny_http's own TLS needs an old
//! rustls; this keeps one rustls in the build).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A certificate chain and private key, PEM.
#[derive(Clone)]
pub struct TlsIdentity {
    /// Certificate chain, PEM.
    pub cert_pem: Vec<u8>,
    /// Private key, PEM.
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsIdentity(<pem>)")
    }
}

impl TlsIdentity {
    /// The committed test-only identity (tests/fixtures/tls): a leaf for 127.0.0.1 and
    /// localhost signed by a throw-away CA that no client trusts by default.
    pub fn test_identity() -> TlsIdentity {
        TlsIdentity {
            cert_pem: include_bytes!("../../tests/fixtures/tls/cert.pem").to_vec(),
            key_pem: include_bytes!("../../tests/fixtures/tls/key.pem").to_vec(),
        }
    }

    /// The CA that signed [`TlsIdentity::test_identity`] (PEM), for clients that opt in.
    pub fn test_ca_pem() -> &'static [u8] {
        include_bytes!("../../tests/fixtures/tls/ca.pem")
    }

    fn server_config(&self) -> io::Result<Arc<rustls::ServerConfig>> {
        let bad = |e: String| io::Error::new(io::ErrorKind::InvalidData, e);
        let certs = CertificateDer::pem_slice_iter(&self.cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(format!("TLS certificate PEM: {e}")))?;
        let key = PrivateKeyDer::from_pem_slice(&self.key_pem)
            .map_err(|e| bad(format!("TLS key PEM: {e}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| bad(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| bad(e.to_string()))?;
        Ok(Arc::new(cfg))
    }
}

/// Accepts TLS connections on `public` and relays each to `backend` until `stop` is set.
pub(crate) fn serve(
    identity: &TlsIdentity,
    public: TcpListener,
    backend: SocketAddr,
    stop: Arc<AtomicBool>,
) -> io::Result<std::thread::JoinHandle<()>> {
    let config = identity.server_config()?;
    std::thread::Builder::new()
        .name("sim-tls-accept".into())
        .spawn(move || {
            for stream in public.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = stream else { continue };
                let config = config.clone();
                let _ = std::thread::Builder::new()
                    .name("sim-tls-conn".into())
                    .spawn(move || {
                        let _ = relay(config, client, backend);
                    });
            }
        })
}

fn relay(
    config: Arc<rustls::ServerConfig>,
    client: TcpStream,
    backend: SocketAddr,
) -> io::Result<()> {
    let conn = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
    let conn = Arc::new(Mutex::new(conn));
    let mut plain = TcpStream::connect(backend)?;
    let _ = client.set_nodelay(true);
    let _ = plain.set_nodelay(true);

    // Backend → client: encrypt whatever tiny_http answers.
    let back = {
        let conn = conn.clone();
        let mut plain_r = plain.try_clone()?;
        let mut tls_w = client.try_clone()?;
        std::thread::Builder::new()
            .name("sim-tls-out".into())
            .spawn(move || {
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    let n = match plain_r.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let mut c = conn.lock().unwrap();
                    if c.writer().write_all(&buf[..n]).is_err() {
                        break;
                    }
                    if flush(&mut c, &mut tls_w).is_err() {
                        break;
                    }
                }
                let mut c = conn.lock().unwrap();
                c.send_close_notify();
                let _ = flush(&mut c, &mut tls_w);
                let _ = tls_w.shutdown(Shutdown::Both);
            })?
    };

    // Client → backend: decrypt (and drive the handshake).
    let mut tls_r = client.try_clone()?;
    let mut tls_w = client;
    let mut buf = vec![0u8; 16 * 1024];
    'outer: loop {
        let n = match tls_r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut rd = &buf[..n];
        let mut c = conn.lock().unwrap();
        while !rd.is_empty() {
            if c.read_tls(&mut rd).is_err() {
                break 'outer;
            }
            let state = match c.process_new_packets() {
                Ok(s) => s,
                Err(_) => {
                    let _ = flush(&mut c, &mut tls_w);
                    break 'outer;
                }
            };
            let pending = state.plaintext_bytes_to_read();
            if pending > 0 {
                let mut p = vec![0u8; pending];
                if c.reader().read_exact(&mut p).is_err() || plain.write_all(&p).is_err() {
                    break 'outer;
                }
            }
            if state.peer_has_closed() {
                break 'outer;
            }
        }
        if flush(&mut c, &mut tls_w).is_err() {
            break;
        }
    }
    let _ = plain.shutdown(Shutdown::Write);
    let _ = back.join();
    Ok(())
}

fn flush(c: &mut rustls::ServerConnection, out: &mut TcpStream) -> io::Result<()> {
    while c.wants_write() {
        c.write_tls(out)?;
    }
    out.flush()
}
