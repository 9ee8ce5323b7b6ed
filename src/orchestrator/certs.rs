//! Certificates generated for one run of a TLS store: a self-signed CA and a server certificate it signs, naming
//! this host (`localhost`, its host name, loopback and the bind address). The CA's key is never written: nothing
//! else can be signed by it once the run has its certificate.

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

use super::access::{write_private, TlsFiles};
use super::error::{Error, Result};

/// The names the server certificate carries: `localhost`, this host's name, `127.0.0.1`, `::1` and `host` (the
/// address the shards bind, unless a wildcard).
fn server_names(host: Option<&str>) -> Vec<String> {
    let mut names = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `len` bytes into the buffer.
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        if let Ok(h) = std::str::from_utf8(&buf[..end]) {
            names.push(h.to_string());
        }
    }
    if let Some(h) = host.filter(|h| *h != "0.0.0.0" && *h != "*") {
        names.push(h.to_string());
    }
    names.retain(|n| !n.is_empty());
    names.dedup();
    names
}

fn cert_error(e: rcgen::Error) -> Error {
    Error::InvalidOption(format!("cannot generate the TLS certificates: {e}"))
}

/// Writes a new CA certificate and a server certificate and key into `files` (directory `dir`, mode 0700; the
/// key 0600).
pub fn generate(files: &TlsFiles, dir: &Path, host: Option<&str>) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::io(dir, e))?;

    let ca_key = KeyPair::generate().map_err(cert_error)?;
    let mut ca = CertificateParams::default();
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, "smartredis store CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).map_err(cert_error)?;

    let key = KeyPair::generate().map_err(cert_error)?;
    let mut server = CertificateParams::new(server_names(host)).map_err(cert_error)?;
    server
        .distinguished_name
        .push(DnType::CommonName, "smartredis store");
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    // A shard also presents it as a client on the cluster bus.
    server.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let cert = server
        .signed_by(&key, &ca_cert, &ca_key)
        .map_err(cert_error)?;

    std::fs::write(&files.ca, ca_cert.pem()).map_err(|e| Error::io(&files.ca, e))?;
    std::fs::write(&files.cert, cert.pem()).map_err(|e| Error::io(&files.cert, e))?;
    write_private(&files.key, key.serialize_pem().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cover_loopback_and_the_bind_address() {
        let n = server_names(Some("10.0.0.7"));
        for want in ["localhost", "127.0.0.1", "::1", "10.0.0.7"] {
            assert!(n.iter().any(|x| x == want), "{n:?}");
        }
        assert!(!server_names(Some("0.0.0.0")).iter().any(|x| x == "0.0.0.0"));
    }
}
