//! quaderno-sync
