//! The CLI's client of a running daemon's local API: finds its address and
//! token in the home, and turns errors into one clear line.

use anyhow::{Context, bail};
use crdt_model::api::ApiError;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::Home;

/// A client for the daemon of one home.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
    home: String,
}

impl Client {
    /// Connects to the daemon of `home` (fails clearly when it is not running).
    pub fn new(home: &Home) -> anyhow::Result<Self> {
        let info = home.api()?;
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(3))
            .timeout(std::time::Duration::from_secs(60))
            .no_proxy()
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            base: format!("http://{}", info.addr),
            token: info.token,
            http,
            home: home.dir().display().to_string(),
        })
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> anyhow::Result<T> {
        let resp = req.bearer_auth(&self.token).send().await.map_err(|e| {
            if e.is_connect() || e.is_timeout() {
                anyhow::anyhow!(
                    "the node in {} is not running or not answering (start it with `tongchou run`)",
                    self.home
                )
            } else {
                anyhow::anyhow!("talking to the node: {e}")
            }
        })?;
        let status = resp.status();
        let bytes = resp.bytes().await.context("reading the node's answer")?;
        if !status.is_success() {
            match serde_json::from_slice::<ApiError>(&bytes) {
                Ok(e) => bail!("{} ({})", e.message, e.code),
                Err(_) => bail!("node answered {status}"),
            }
        }
        serde_json::from_slice(&bytes).context("decoding the node's answer")
    }

    /// GET with query parameters.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> anyhow::Result<T> {
        self.send(self.http.get(format!("{}{path}", self.base)).query(query))
            .await
    }

    /// GET returning text.
    pub async fn get_text(&self, path: &str, query: &[(&str, String)]) -> anyhow::Result<String> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .query(query)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|_| {
                anyhow::anyhow!(
                    "the node in {} is not running (start it with `tongchou run`)",
                    self.home
                )
            })?;
        if !resp.status().is_success() {
            let e: ApiError = resp.json().await.context("decoding error")?;
            bail!("{} ({})", e.message, e.code);
        }
        Ok(resp.text().await?)
    }

    /// POST a JSON body.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> anyhow::Result<T> {
        self.send(self.http.post(format!("{}{path}", self.base)).json(body))
            .await
    }

    /// PUT a JSON body.
    pub async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> anyhow::Result<T> {
        self.send(self.http.put(format!("{}{path}", self.base)).json(body))
            .await
    }
}
