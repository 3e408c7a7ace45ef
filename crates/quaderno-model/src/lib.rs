//! quaderno-model
