//! quaderno-client
