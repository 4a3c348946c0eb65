//! Configuration (placeholder until the config module lands).

/// Where a probe goes, after its template was rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeTarget {
    /// GET this URL; healthy on 2xx.
    Http(url::Url),
    /// Open a TCP connection; healthy when it opens.
    Tcp {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
    },
}
