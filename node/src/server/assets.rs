//! The warehouse routes: loans, a step in an asset's life, transfer offers,
//! the inventory; and the utilisation report.

use super::*;
use crdt_model::asset::{
    InventoryQuery, InventoryRow, Loan, LoanFilter, TransferFilter, TransferView,
};
use crdt_model::engine::AssetOp;

pub(super) async fn loans(
    State(st): State<AppState>,
    Query(f): Query<LoanFilter>,
) -> ApiResult<Vec<Loan>> {
    Ok(Json(st.node.query(f).await.ok_or_else(gone)?))
}

pub(super) async fn step(
    State(st): State<AppState>,
    Json(op): Json<AssetOp>,
) -> ApiResult<LocalOutcome> {
    Ok(Json(st.node.local(LocalOp::Asset(Box::new(op))).await?))
}

pub(super) async fn transfers(
    State(st): State<AppState>,
    Query(f): Query<TransferFilter>,
) -> ApiResult<Vec<TransferView>> {
    Ok(Json(st.node.query(f).await.ok_or_else(gone)?))
}

pub(super) async fn inventory(
    State(st): State<AppState>,
    Query(q): Query<InventoryQuery>,
) -> ApiResult<Vec<InventoryRow>> {
    Ok(Json(st.node.query(q).await.ok_or_else(gone)?))
}

pub(super) async fn report(
    State(st): State<AppState>,
    Query(q): Query<crdt_model::report::ReportQuery>,
) -> ApiResult<crdt_model::report::Report> {
    // A period before the seal cut is read away from the node's task.
    let (probe, past) = (q.clone(), q.clone());
    let r = match past::on_unsealed(
        &st,
        move |l| probe.reads_sealed(l),
        move |l, _| past.answer_unsealed(l),
    )
    .await?
    {
        Some(r) => r,
        None => st.node.query(q).await.ok_or_else(gone)?,
    };
    Ok(Json(r.map_err(|e| match e {
        crdt_model::report::ReportError::Unreadable(_) => err(
            StatusCode::INSUFFICIENT_STORAGE,
            "storage_failed",
            e.to_string(),
        ),
        _ => err(StatusCode::BAD_REQUEST, "bad_request", e.to_string()),
    })?))
}
