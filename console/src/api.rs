//! The admin API as the console calls it: gloo-net requests on the session cookie, with the
//! console's header (the service refuses cookie-borne changes without it), and the `wire`
//! crate's types in and out, so the console and the service share one contract.

pub use crate::route::with_query;
use gloo_net::http::{Method, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a call did not give what was asked.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// No session (never signed in, signed out, expired, or the key was revoked).
    SignedOut,
    /// A change based on an old version: the snippet as it is now.
    Stale(Box<wire::admin::Snippet>),
    /// A site settings change based on old settings: the settings as they are now.
    StaleSite(Box<wire::admin::Site>),
    /// The service said no: its stable code and message.
    Refused { status: u16, code: String, message: String },
    /// The service could not be reached or answered something unreadable.
    Network(String),
}

impl Failure {
    /// What to tell the author.
    pub fn message(&self) -> String {
        match self {
            Failure::SignedOut => "signed out".into(),
            Failure::Stale(current) => format!("version {} was saved meanwhile", current.version),
            Failure::StaleSite(current) => format!("version {} was saved meanwhile", current.version),
            Failure::Refused { message, .. } => message.clone(),
            Failure::Network(message) => message.clone(),
        }
    }
}

pub type Result<T> = std::result::Result<T, Failure>;

/// `/admin/v1/sites/{site}{rest}`.
pub fn site_path(site: &str, rest: &str) -> String {
    format!("/admin/v1/sites/{site}{rest}")
}

fn request(method: Method, path: &str, if_match: Option<i64>) -> RequestBuilder {
    let builder = RequestBuilder::new(path).method(method).header("x-cuecard-console", "1");
    match if_match {
        Some(version) => builder.header("if-match", &format!("\"{version}\"")),
        None => builder,
    }
}

async fn finish(sent: std::result::Result<Response, gloo_net::Error>) -> Result<Response> {
    let response = sent.map_err(|error| Failure::Network(error.to_string()))?;
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
    if status == 401 {
        return Err(Failure::SignedOut);
    }
    if status == 412
        && let Some(current) = body.get("current")
    {
        if let Ok(snippet) = serde_json::from_value::<wire::admin::Snippet>(current.clone()) {
            return Err(Failure::Stale(Box::new(snippet)));
        }
        if let Ok(site) = serde_json::from_value::<wire::admin::Site>(current.clone()) {
            return Err(Failure::StaleSite(Box::new(site)));
        }
    }
    let error = serde_json::from_value::<wire::ErrorBody>(body).ok();
    Err(Failure::Refused {
        status,
        code: error.as_ref().map(|error| error.error.code.clone()).unwrap_or_default(),
        message: error.map(|error| error.error.message).unwrap_or_else(|| format!("HTTP {status}")),
    })
}

async fn read<T: DeserializeOwned>(response: Response) -> Result<T> {
    response.json().await.map_err(|error| Failure::Network(error.to_string()))
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T> {
    read(finish(request(Method::GET, path, None).send().await).await?).await
}

/// A change with a JSON body; `if_match` is the version it is based on.
pub async fn send<B: Serialize + ?Sized, T: DeserializeOwned>(
    method: Method,
    path: &str,
    if_match: Option<i64>,
    body: &B,
) -> Result<T> {
    let request = request(method, path, if_match).json(body).map_err(|error| Failure::Network(error.to_string()))?;
    read(finish(request.send().await).await?).await
}

/// A change without a body (publish, archive, restore, revoke).
pub async fn act<T: DeserializeOwned>(method: Method, path: &str, if_match: Option<i64>) -> Result<T> {
    read(finish(request(method, path, if_match).send().await).await?).await
}

/// Ends the session on the service.
pub async fn sign_out() -> Result<()> {
    finish(request(Method::DELETE, "/admin/v1/session", None).send().await).await.map(drop)
}

/// Exchanges a secret key for a session.
pub async fn sign_in(key: &str) -> Result<wire::admin::SessionInfo> {
    send(Method::POST, "/admin/v1/session", None, &wire::admin::SignIn { key: key.trim().to_owned() }).await
}
