//! quaderno-store
