//! Writing responses: security headers on every one, refusal pages or JSON, the admin API's
//! JSON answers, and reading bounded request bodies.

use futures_util::StreamExt;
use jit::ports::StoreError;
use jit::settings::FieldError;
use jit::{Code, Refusal};
use serde::Serialize;
use worker::{console_error, Request, Response};

use crate::platform::new_reference;
use web::Lang;

/// A request header's value.
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

pub use web::json_out::{log_line, to_json, ErrorBody};

/// Add the security headers (README "Routes"): CSP, no framing, no sniffing, no referrer, and
/// `Cache-Control: no-store` unless the handler chose a cache policy.
pub fn harden(mut resp: Response) -> worker::Result<Response> {
    let h = resp.headers_mut();
    for (k, v) in web::SECURITY_HEADERS {
        if k != "Cache-Control" || !h.has("Cache-Control")? {
            h.set(k, v)?;
        }
    }
    Ok(resp)
}

/// A JSON response (200 until the caller sets a status).
pub fn json_response<T: Serialize + ?Sized>(body: &T) -> worker::Result<Response> {
    let mut resp = Response::from_bytes(to_json(body).into_bytes())?;
    resp.headers_mut().set("Content-Type", "application/json")?;
    Ok(resp)
}

/// A refusal for a person (an HTML page in `lang`) or a client that asked for JSON.
pub fn refusal_response(
    r: &Refusal,
    reference: &str,
    lang: Lang,
    json: bool,
) -> worker::Result<Response> {
    let resp = if json {
        json_response(&ErrorBody {
            error: r.code.as_str(),
            reference: Some(reference),
            field: None,
            message: None,
        })?
    } else {
        let mut resp = Response::from_html(web::refusal_page(r.code, reference, lang))?;
        resp.headers_mut().set("Content-Language", lang.tag())?;
        resp
    };
    harden(resp.with_status(r.status()))
}

/// A refusal page with a fresh reference and no detail.
pub fn refuse_page(code: Code, lang: Lang) -> worker::Result<Response> {
    refusal_response(&Refusal::new(code, ""), &new_reference(), lang, false)
}

/// A 303 to `location`.
pub fn see_other(location: &str) -> worker::Result<Response> {
    let mut resp = Response::empty()?.with_status(303);
    resp.headers_mut().set("Location", location)?;
    harden(resp)
}

/// An admin API answer.
pub fn reply<T: Serialize + ?Sized>(status: u16, body: &T) -> worker::Result<Response> {
    harden(json_response(body)?.with_status(status))
}

/// An admin API refusal: `{"error": code, "message": …}` with the code's status.
pub fn error(code: Code, message: &str) -> worker::Result<Response> {
    reply(
        code.status(),
        &ErrorBody {
            error: code.as_str(),
            reference: None,
            field: None,
            message: Some(message),
        },
    )
}

/// 400 `invalid_field`, naming the field.
pub fn field_error(e: &FieldError) -> worker::Result<Response> {
    reply(
        Code::InvalidField.status(),
        &ErrorBody {
            error: Code::InvalidField.as_str(),
            reference: None,
            field: Some(&e.field),
            message: Some(&e.reason),
        },
    )
}

/// 503 `store_unavailable`; the detail goes to the log.
pub fn store_error(e: &StoreError) -> worker::Result<Response> {
    let line = log_line("store_error", &new_reference(), "", &format!("{e:?}"));
    console_error!("{line}");
    error(
        Code::StoreUnavailable,
        "storage is unavailable; nothing was changed",
    )
}

/// Read a request body of at most `cap` bytes, refusing larger ones before reading them whole.
pub async fn read_body(req: &mut Request, cap: usize) -> Result<Vec<u8>, Refusal> {
    let too_large = || Refusal::new(Code::BodyTooLarge, format!("request body over {cap} bytes"));
    if let Ok(Some(len)) = req.headers().get("Content-Length") {
        if len.trim().parse::<usize>().map_or(true, |n| n > cap) {
            return Err(too_large());
        }
    }
    let Ok(mut stream) = req.stream() else {
        return Ok(Vec::new());
    };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Refusal::new(Code::BodyUnreadable, e.to_string()))?;
        if body.len() + chunk.len() > cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
