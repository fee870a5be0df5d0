//! `tongchou webhook add | list | remove`: where the node POSTs its events.

use api::*;

use crate::cli::*;
use crate::out::*;

/// `tongchou webhook …`.
pub(crate) async fn webhook(c: &Client, out: &Out, cmd: WebhookCmd) -> anyhow::Result<()> {
    let list = match cmd {
        WebhookCmd::Add {
            url,
            events,
            secret,
        } => {
            let w = c
                .add_webhook(&WebhookAdd {
                    url,
                    events,
                    secret,
                })
                .await?;
            if out.json {
                return out.json(&w);
            }
            println!(
                "{} {} → {} ({})",
                out.t("已登记回调", "webhook"),
                w.id,
                w.url,
                w.events.join(",")
            );
            return Ok(());
        }
        WebhookCmd::List => c.webhooks().await?,
        WebhookCmd::Remove { id } => c.remove_webhook(id).await?,
    };
    if out.json {
        return out.json(&list);
    }
    let mut rows = vec![vec![
        out.t("编号", "id").into(),
        out.t("地址", "url").into(),
        out.t("事件", "events").into(),
        out.t("签名", "signed").into(),
        out.t("待送", "waiting").into(),
        out.t("已送", "delivered").into(),
        out.t("失败", "failures").into(),
        out.t("最近错误", "last error").into(),
    ]];
    for w in &list {
        rows.push(vec![
            w.id.to_string(),
            w.url.clone(),
            w.events.join(","),
            if w.signed {
                "✓".into()
            } else {
                String::new()
            },
            w.pending.to_string(),
            w.delivered.to_string(),
            w.failures.to_string(),
            w.last_error.clone().unwrap_or_default(),
        ]);
    }
    table(&rows);
    Ok(())
}
