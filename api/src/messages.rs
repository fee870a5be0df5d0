//! The node's refusals in the user's language: the node answers a stable
//! `code` and an English `message`; the command line and the TUI show them
//! in Chinese or English from here, so a Chinese user never reads
//! `only an admin can invite … (not_allowed)`.

use crdt_model::agency::Text;

use crate::types::ApiError;

/// Known messages: an English fragment the node says, and its Chinese.
/// `{rest}` in the Chinese stands for what follows the fragment in the
/// message (an id, a number, a name).
const KNOWN: &[(&str, &str)] = &[
    // Roster and admission.
    (
        "only an admin can invite",
        "只有管理员能邀请单位（本单位不是有效的管理员）",
    ),
    (
        "only an admin changes the roster",
        "只有管理员能修改成员名册",
    ),
    (
        "only an active member rotates its key",
        "只有有效成员能轮换密钥",
    ),
    (
        "is this key already in use",
        "密钥轮换未被接受（这个密钥是否已在使用？）",
    ),
    (
        "an invitation is valid from 1 hour to",
        "邀请的有效期须在 1 小时到 30 天之间",
    ),
    ("invitation expired", "邀请已过期"),
    (
        "invitation token altered or damaged",
        "邀请码被改动或已损坏：签名不符",
    ),
    (
        "invitation token of an older format",
        "旧格式的邀请码（tcinv1），请管理员重新签发",
    ),
    ("invitation withdrawn by an admin", "邀请已被管理员撤回"),
    (
        "was already used; revoke the agency instead",
        "邀请已被使用，请改为撤销该单位",
    ),
    ("was already withdrawn", "邀请已经撤回过了"),
    ("is not an invitation of this network", "不是本网络的邀请"),
    ("invitation already used", "邀请已被使用"),
    (
        "invitation not signed by an admin",
        "邀请不是本网络管理员签发的",
    ),
    ("invitation is for another network", "邀请属于另一个网络"),
    ("not a Tongchou invitation token", "这不是统筹网的邀请码"),
    ("is not a member", "不是本网络成员：{rest}"),
    ("was revoked from the network by", "本单位已被撤销：{rest}"),
    ("signer was revoked", "本单位已被撤销，不能再写入"),
    ("signer is not a member", "本单位不是本网络成员"),
    // Resources and bookings.
    ("profile of another agency", "不能修改其他单位的资料"),
    (
        "only the owner edits a resource",
        "只有资源所属单位能发布或修改它",
    ),
    (
        "only the requester cancels a request",
        "只有申请单位能取消申请",
    ),
    (
        "only the resource's owner decides",
        "只有资源所属单位能审批",
    ),
    (
        "confirming would exceed capacity",
        "批准会超出容量：该时段已满",
    ),
    ("booking is already", "该预订已处理，不能再审批：{rest}"),
    ("no such booking request", "没有这项申请"),
    ("already cancelled", "已经取消过了"),
    ("contact or purpose too long", "联系人或用途太长"),
    ("reason too long", "原因太长"),
    ("capacity must be at least 1", "容量至少为 1"),
    ("unknown time zone", "未知时区：{rest}"),
    ("unknown resource", "未知资源{rest}"),
    ("unknown booking", "未知预订{rest}"),
    (
        "need from < to, duration",
        "需要开始早于结束、时长至少 1 分钟、数量至少 1",
    ),
    (
        "free_from and free_to go together",
        "空闲起止时间须同时给出，且开始早于结束",
    ),
    // Trips.
    (
        "only the fleet's owner dispatches",
        "只有车队所属单位能派车和登记行程",
    ),
    (
        "is already taken then",
        "该时段已有任务，车辆或驾驶员已被派出{rest}",
    ),
    (
        "is unavailable then",
        "该时段停用（保养、维修或休假）：{rest}",
    ),
    ("seats, the trip needs", "座位不够，行程需要{rest}"),
    ("the trip needs a ", "车型不符：需要{rest}"),
    ("the trip asked for vehicle", "申请指定了另一辆车：{rest}"),
    ("is not a vehicle", "不是车辆"),
    ("is not a driver", "不是驾驶员"),
    ("is below the departure's", "收车读数低于出车读数{rest}"),
    ("not requested", "行程已派车或已处理，不能再派车或拒绝"),
    ("not dispatched", "行程尚未派车，或已出车"),
    ("not under way", "行程尚未出车，或已收车"),
    ("the trip is already over", "行程已结束"),
    (
        "is a trip: see it with",
        "这是公务用车行程，请用 `tongchou trips` 查看",
    ),
    ("say which kind of vehicle", "请说明要哪类车或哪辆车"),
    (
        "restored from a backup",
        "节点由备份恢复：在成员确认本节点已有本单位的最新变更之前暂不写入（请连接成员；切勿与原节点同时运行）",
    ),
    // Check-ins and holds.
    (
        "only the requester checks in to a booking",
        "只有申请单位可以签到",
    ),
    (
        "only a confirmed booking is checked in to",
        "只有已确认的预约可以签到：{rest}",
    ),
    ("already checked in", "已经签到过了"),
    ("check-in opens", "签到在开始前 30 分钟开放"),
    ("the booking has ended", "预约已经结束"),
    ("a hold needs a reason", "占用须说明原因"),
    (
        "the hold must end after it starts",
        "占用的结束时间须晚于开始时间",
    ),
    ("name at least one resource", "请至少指定一项资源"),
    (
        "only the owner holds a resource",
        "只有资源所属单位可以占用资源：{rest}",
    ),
    // The node itself.
    (
        "missing or wrong bearer token",
        "令牌缺失或错误（见节点目录中的 api.json）",
    ),
    ("shutting down", "节点正在停止"),
    (
        "this node's store lost changes it had acknowledged",
        "本节点的存储丢失了已确认的本单位变更，在对等节点补回之前拒绝写入（保持与对等节点的连接；`tongchou status` 显示缺少什么；无人持有时从备份恢复）：{rest}",
    ),
    // Backups.
    (
        "the backup file must be an absolute path",
        "备份文件须为绝对路径：{rest}",
    ),
];

/// What a code means when the message is not one of [`KNOWN`].
fn by_code(code: &str) -> Option<&'static str> {
    Some(match code {
        "not_allowed" => "不允许此操作",
        "bad_request" | "invalid_body" => "请求无效",
        "unknown_resource" => "未知资源",
        "unknown_booking" => "未知预订",
        "cannot_decide" => "无法审批",
        "cannot_dispatch" => "无法派车",
        "rule" => "不符合资源的预订规则",
        "storage_failed" => "节点无法写入磁盘，未保存；请检查磁盘后重启节点",
        "shutting_down" => "节点正在停止",
        "unauthorized" => "令牌缺失或错误",
        "payload_too_large" => "请求过大",
        "backup_failed" => "备份失败，未写入备份文件（磁盘已满时请释放空间，目录不存在时请先创建）",
        _ => return None,
    })
}

/// The Chinese for an English `message` with `code`, when known.
fn zh_of(code: &str, message: &str) -> Option<String> {
    for (en, zh) in KNOWN {
        if let Some(at) = message.find(en) {
            let rest = message[at + en.len()..].trim_start_matches([':', ' ']);
            return Some(zh.replace("{rest}", rest));
        }
    }
    by_code(code).map(|zh| format!("{zh}（{message}）"))
}

impl ApiError {
    /// The message in both languages, with the code for scripts and
    /// support: a failed booking rule in its own words.
    pub fn text(&self) -> Text {
        if let Some(rule) = &self.rule {
            let t = rule.text();
            return Text::new(
                format!("{}（{}）", t.zh, self.code),
                format!("{} ({})", t.en, self.code),
            );
        }
        let en = format!("{} ({})", self.message, self.code);
        let zh = zh_of(&self.code, &self.message)
            .map(|zh| format!("{zh}（{}）", self.code))
            .unwrap_or_else(|| en.clone());
        Text::new(zh, en)
    }
}

impl crate::Error {
    /// The error in both languages (see [`ApiError::text`]); errors that
    /// never reached the node (not running, broken connection) too.
    pub fn text(&self) -> Text {
        match self {
            crate::Error::Refused { error, .. } => error.text(),
            crate::Error::Unreachable { addr, .. } => Text::new(
                format!("节点未运行或无应答（{addr}），请先运行 `tongchou run`"),
                self.to_string(),
            ),
            other => Text::new(format!("与节点通信失败：{other}"), other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: &str, message: &str) -> ApiError {
        ApiError {
            code: code.into(),
            message: message.into(),
            rule: None,
        }
    }

    #[test]
    fn known_messages_read_in_chinese_with_their_code() {
        let t = err(
            "not_allowed",
            "only an admin can invite (this agency is not an active admin)",
        )
        .text();
        assert_eq!(
            t.zh,
            "只有管理员能邀请单位（本单位不是有效的管理员）（not_allowed）"
        );
        assert!(t.en.ends_with("(not_allowed)") && t.en.starts_with("only an admin"));
        let t = err("cannot_decide", "confirming would exceed capacity").text();
        assert!(t.zh.starts_with("批准会超出容量"), "{}", t.zh);
        let t = err("unknown_resource", "unknown resource tcabc/room-9").text();
        assert_eq!(t.zh, "未知资源tcabc/room-9（unknown_resource）");
    }

    #[test]
    fn unknown_messages_fall_back_to_the_code_with_the_original() {
        let t = err("storage_failed", "storage failed: disk full").text();
        assert!(t.zh.starts_with("节点无法写入磁盘"), "{}", t.zh);
        assert!(t.zh.contains("disk full"));
        let t = err("weird", "something new").text();
        assert_eq!(t.zh, t.en, "an unknown code stays as the node said it");
    }

    #[test]
    fn a_rule_speaks_for_itself() {
        let e = ApiError {
            code: "rule".into(),
            message: "too short".into(),
            rule: Some(crdt_model::resource::RuleViolation::EmptyRange),
        };
        assert!(e.text().zh.starts_with("结束时间须晚于开始时间"));
    }
}
