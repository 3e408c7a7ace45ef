//! Times are stored as Unix milliseconds (UTC) and handled as `DateTime<Utc>`.

use chrono::{DateTime, Utc};

use super::{AccountsError, Result};

pub(crate) fn to_millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

pub(crate) fn from_millis(millis: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(millis)
        .ok_or_else(|| AccountsError::Corrupt(format!("timestamp {millis}")))
}

pub(crate) fn from_opt_millis(millis: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    millis.map(from_millis).transpose()
}
