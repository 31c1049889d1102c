//! Errors as the API shows them: a status and `{"error": code, "message": text}`.
//!
//! Every rejection the server makes (body too large, invalid JSON or UTF-8, rate limit,
//! timeout, storage down) goes through [`ApiError`], so clients always get JSON with a
//! stable code and a sentence that says what to do.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// An error answered as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `payload_too_large`.
    pub code: &'static str,
    /// One sentence for people.
    pub message: String,
    /// Seconds to wait, sent as `Retry-After` (rate limiting, overload).
    pub retry_after: Option<u64>,
}

/// The JSON body of every error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable code: `payload_too_large`, `invalid_json`, `invalid_utf8`, `invalid_request`,
    /// `unsupported_media_type`, `unsupported_language`, `not_found`, `rate_limited`,
    /// `timeout`, `storage_unavailable`, `internal`.
    pub error: String,
    /// What went wrong and what to do, in English.
    pub message: String,
}

impl ApiError {
    /// An error with a status, a code and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 with code `invalid_request`.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// 404 with code `not_found`.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 413 for a body over `limit` bytes.
    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than the limit of {} bytes", limit),
        )
    }

    /// 503 when reports cannot be stored; the report was not accepted.
    pub fn storage(detail: impl std::fmt::Display) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            format!("the report could not be stored and was not accepted; try again later ({detail})"),
        );
        e.retry_after = Some(5);
        e
    }

    /// 500: something unexpected; nothing about the input is echoed.
    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the request was not completed",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code.to_string(),
            message: self.message,
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// Maps a body-reading failure: 413 past the limit, 408 on a timeout, else 400.
pub fn body_rejection(rejection: BytesRejection, limit: usize) -> ApiError {
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::too_large(limit),
        _ => ApiError::bad_request(format!("the request body could not be read: {}", rejection.body_text())),
    }
}

/// Parses a JSON body that has already been read, with clear messages for invalid UTF-8
/// (400 `invalid_utf8`), invalid JSON syntax (400 `invalid_json`) and JSON of the wrong
/// shape (400 `invalid_request`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_utf8",
            format!(
                "the request body is not valid UTF-8 (first bad byte at offset {})",
                e.valid_up_to()
            ),
        )
    })?;
    serde_json::from_str(text).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Syntax | Category::Eof | Category::Io => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("the request body is not valid JSON: {e}"),
            ),
            Category::Data => ApiError::bad_request(format!("the request does not have the expected fields: {e}")),
        }
    })
}

/// A JSON request body read with the route's size limit and parsed with [`parse_json`].
/// Requires `Content-Type: application/json` (415 otherwise), which also keeps plain HTML
/// forms of other sites from posting to the API.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

/// 413 when the request declares (`Content-Length`) a body larger than `limit`: answered
/// from the headers alone, without waiting for a body that a slow or hostile client may
/// never send.
pub fn declared_too_large(headers: &axum::http::HeaderMap, limit: usize) -> Option<ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    (declared > limit as u64).then(|| ApiError::too_large(limit))
}

/// The largest JSON body the API reads; set per route by [`crate::app::router`].
#[derive(Debug, Clone, Copy)]
pub struct JsonLimit(pub usize);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = req.extensions().get::<JsonLimit>().map(|l| l.0).unwrap_or(usize::MAX);
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if mime != "application/json" {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the request as JSON with the header Content-Type: application/json",
            ));
        }
        if let Some(e) = declared_too_large(req.headers(), limit) {
            return Err(e);
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|r| body_rejection(r, limit))?;
        parse_json(&bytes).map(JsonBody)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct T {
        a: u32,
    }

    #[test]
    fn classifies_json_errors() {
        assert_eq!(parse_json::<T>(b"{\"a\":1}").unwrap().a, 1);
        assert_eq!(parse_json::<T>(b"{\"a\":").unwrap_err().code, "invalid_json");
        assert_eq!(parse_json::<T>(b"{\"a\":\"x\"}").unwrap_err().code, "invalid_request");
        assert_eq!(parse_json::<T>(b"{\"a\":\"\xff\"}").unwrap_err().code, "invalid_utf8");
    }
}
