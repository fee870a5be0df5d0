//! The API's error answers: `{code, message}` JSON with a stable code and,
//! when a booking rule refused the call, the rule; axum's own rejections
//! turned into the same shape.

use super::*;

/// An error answer: status, stable code, message, and the booking rule
/// that failed when there is one.
#[derive(Debug)]
pub struct Error {
    status: StatusCode,
    code: &'static str,
    message: String,
    rule: Option<RuleViolation>,
}

/// An error answer without a rule.
pub(super) fn err(status: StatusCode, code: &'static str, message: String) -> Error {
    Error {
        status,
        code,
        message,
        rule: None,
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ApiError {
                code: self.code.to_string(),
                message: self.message,
                rule: self.rule,
            }),
        )
            .into_response()
    }
}

impl From<QueryError> for Error {
    fn from(e: QueryError) -> Self {
        let (status, code) = match &e {
            QueryError::FreeRange => (StatusCode::BAD_REQUEST, "bad_request"),
            QueryError::UnknownResource(_) => (StatusCode::NOT_FOUND, "unknown_resource"),
            QueryError::UnknownBooking(_) => (StatusCode::NOT_FOUND, "unknown_booking"),
        };
        err(status, code, e.to_string())
    }
}

impl From<LocalError> for Error {
    fn from(e: LocalError) -> Self {
        let (status, code) = match &e {
            LocalError::UnknownResource(_) => (StatusCode::NOT_FOUND, "unknown_resource"),
            LocalError::UnknownBooking(_) => (StatusCode::NOT_FOUND, "unknown_booking"),
            LocalError::NotAllowed(_) => (StatusCode::FORBIDDEN, "not_allowed"),
            LocalError::Rule(_) => (StatusCode::UNPROCESSABLE_ENTITY, "rule"),
            LocalError::Invalid(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            LocalError::Decide(_) => (StatusCode::CONFLICT, "cannot_decide"),
            LocalError::Dispatch(_) => (StatusCode::CONFLICT, "cannot_dispatch"),
            LocalError::Warehouse(_) => (StatusCode::CONFLICT, "warehouse"),
            LocalError::Storage(_) => (StatusCode::INSUFFICIENT_STORAGE, "storage_failed"),
            LocalError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "shutting_down"),
        };
        let rule = match &e {
            LocalError::Rule(v) => Some(v.clone()),
            _ => None,
        };
        Error {
            status,
            code,
            message: e.to_string(),
            rule,
        }
    }
}

pub(super) fn gone() -> Error {
    err(
        StatusCode::SERVICE_UNAVAILABLE,
        "shutting_down",
        "node is shutting down".into(),
    )
}

pub(super) type ApiResult<T> = Result<Json<T>, Error>;

/// Every error answer is `{code, message}` JSON, including axum's own
/// rejections (body too large, wrong content type, a body or query that does
/// not parse, unknown route or method), which are plain text.
pub(super) async fn errors_as_json(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        s if s.is_client_error() => "bad_request",
        _ => "internal",
    };
    let body = axum::body::to_bytes(resp.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let mut message = String::from_utf8_lossy(&body).trim().to_string();
    if message.is_empty() {
        message = status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_string();
    }
    err(status, code, message).into_response()
}
