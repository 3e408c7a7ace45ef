//! Device tokens on requests: `Authorization: Bearer`, or `?token=` for browsers' WebSockets.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use chrono::Utc;

use super::{ApiState, AppError};
use crate::accounts::{self, DeviceAuth, Group, Role};

/// The token in the `Authorization` header: `Ok(None)` when there is no header, an error when
/// there is one that is not a bearer token.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| AppError::Unauthorized)?;
    let (scheme, token) = value.split_once(' ').ok_or(AppError::Unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AppError::Unauthorized);
    }
    Ok(Some(token.trim()))
}

/// The device a token belongs to (noting that it was seen), or 401.
pub(crate) async fn authenticate(state: &ApiState, token: &str) -> Result<DeviceAuth, AppError> {
    let token = token.to_owned();
    let found = state
        .db
        .call(move |conn| {
            let found = accounts::authenticate(conn, &token)?;
            if let Some(auth) = &found {
                accounts::touch_device(conn, auth.device_id, Utc::now())?;
            }
            Ok(found)
        })
        .await?;
    found.ok_or(AppError::Unauthorized)
}

/// Checks a request to a group's endpoint before anything else happens: the device behind the
/// token (from `Authorization: Bearer`, else `query_token`) and its participant's role in the
/// group. 401 without a valid token; 403 for a non-member and for a group that does not exist
/// alike.
#[tracing::instrument(skip_all, err(level = "debug"), fields(group = %group))]
pub async fn authorize_group(
    state: &ApiState,
    headers: &HeaderMap,
    query_token: Option<&str>,
    group: &str,
) -> Result<(DeviceAuth, Role, Group), AppError> {
    let token = bearer_token(headers)?
        .or(query_token)
        .ok_or(AppError::Unauthorized)?;
    let auth = authenticate(state, token).await?;
    let (participant, slug) = (auth.participant_id, group.to_owned());
    let access = state
        .db
        .call(move |conn| {
            let role = accounts::role_in_group(conn, participant, &slug)?;
            let group = accounts::group(conn, &slug)?;
            Ok(role.zip(group))
        })
        .await?;
    let (role, group) = access.ok_or(AppError::Forbidden)?;
    Ok((auth, role, group))
}

/// An extractor for handlers that need a signed-in device.
#[derive(Debug, Clone)]
pub struct Authenticated(pub DeviceAuth);

impl FromRequestParts<ApiState> for Authenticated {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(&parts.headers)?.ok_or(AppError::Unauthorized)?;
        authenticate(state, token).await.map(Authenticated)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn reads_bearer_tokens_in_any_case() {
        assert_eq!(
            bearer_token(&headers("Bearer qdt_abc")),
            Ok(Some("qdt_abc"))
        );
        assert_eq!(
            bearer_token(&headers("bearer qdt_abc")),
            Ok(Some("qdt_abc"))
        );
        assert_eq!(bearer_token(&HeaderMap::new()), Ok(None));
    }

    #[test]
    fn refuses_other_schemes_and_empty_tokens() {
        assert_eq!(
            bearer_token(&headers("Basic YTpi")),
            Err(AppError::Unauthorized)
        );
        assert_eq!(
            bearer_token(&headers("Bearer ")),
            Err(AppError::Unauthorized)
        );
        assert_eq!(
            bearer_token(&headers("qdt_abc")),
            Err(AppError::Unauthorized)
        );
    }
}
