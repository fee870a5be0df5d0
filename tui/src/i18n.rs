//! Every user-visible string of the TUI, in zh-CN and English, in one place.

/// Display language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// 简体中文.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// From a `LANG`-style value (`zh_CN.UTF-8` → Chinese, else English).
    pub fn from_env_value(v: &str) -> Self {
        if v.to_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// The other language.
    pub fn toggle(self) -> Self {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// Code for [`crdt_model::agency::Text::get`].
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// A string in both languages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct L(pub &'static str, pub &'static str);

impl L {
    /// Both languages, kept so a message already shown is redrawn in the
    /// other language when `L` switches it.
    pub fn both(self) -> crdt_model::agency::Text {
        crdt_model::agency::Text::new(self.0, self.1)
    }

    /// The text in `lang`.
    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.0,
            Lang::En => self.1,
        }
    }
}

// Application.
pub(crate) const UNREACHABLE: L = L(
    "⚠ 无法连接本单位节点，正在重试…（请确认 `tongchou run` 正在运行）",
    "⚠ Node unreachable, retrying… (is `tongchou run` running?)",
);
pub(crate) const LOADING: L = L("正在加载…", "Loading…");
pub(crate) const REVOKED_BANNER: L = L(
    "⚠ 本单位已被撤销，不能再预约或发布。撤销者",
    "⚠ This agency was revoked and can no longer book or publish. Revoked by",
);
pub(crate) const STORAGE_BANNER: L = L(
    "⚠ 节点存储故障，只读（修复磁盘后重启节点）：",
    "⚠ Node storage failed, read-only (fix the disk, then restart the node):",
);
pub(crate) const GAP_BANNER: L = L(
    "⚠ 存储丢失了已确认的变更，暂停写入，待对等节点补回：",
    "⚠ Store lost acknowledged changes; writes paused until peers give them back:",
);
pub(crate) const HELP_HINT: L = L("? 帮助  q 退出", "? help  q quit");

// Screens.
pub(crate) const SCREEN_RESOURCES: L = L("资源", "Resources");
pub(crate) const SCREEN_CALENDAR: L = L("日历", "Calendar");
pub(crate) const SCREEN_FIND: L = L("找空闲", "Find slot");
pub(crate) const SCREEN_BOOK: L = L("预订", "Book");
pub(crate) const SCREEN_MINE: L = L("我的预订", "My bookings");
pub(crate) const SCREEN_APPROVALS: L = L("审批", "Approvals");
pub(crate) const SCREEN_CONFLICTS: L = L("冲突", "Conflicts");
pub(crate) const SCREEN_NETWORK: L = L("网络", "Network");
pub(crate) const SHORT_RESOURCES: L = L("资源", "Res");
pub(crate) const SHORT_CALENDAR: L = L("日历", "Cal");
pub(crate) const SHORT_FIND: L = L("空闲", "Find");
pub(crate) const SHORT_BOOK: L = L("预订", "Book");
pub(crate) const SHORT_MINE: L = L("我的", "Mine");
pub(crate) const SHORT_APPROVALS: L = L("审批", "Appr");
pub(crate) const SHORT_CONFLICTS: L = L("冲突", "Confl");
pub(crate) const SHORT_NETWORK: L = L("网络", "Net");
pub(crate) const SCREEN_DISPATCH: L = L("派车", "Dispatch");
pub(crate) const SHORT_DISPATCH: L = L("派车", "Disp");
pub(crate) const HELP_DISPATCH: L = L(
    "↑↓ 选择行程 · v 换车辆 · n 换驾驶员 · Enter/d 派车 · x 拒绝 · s 出车（填里程） · f 收车（填里程）",
    "↑↓ choose a trip · v next vehicle · n next driver · Enter/d dispatch · x reject · s depart (odometer) · f return (odometer)",
);
pub(crate) const FLEET_TRIPS: L = L("本单位车队的行程", "Trips of this fleet");
pub(crate) const COL_PAX: L = L("人数", "Pax");
pub(crate) const SEATS: L = L("座", "seats");
pub(crate) const COL_DESTINATION: L = L("目的地", "Destination");
pub(crate) const F_DESTINATION: L = L("目的地", "Destination");
pub(crate) const FREE_VEHICLES: L = L("可派车辆", "Free vehicles");
pub(crate) const FREE_DRIVERS: L = L("可派驾驶员", "Free drivers");
pub(crate) const NONE_FREE: L = L("（该时段没有空闲的）", "(none free then)");
pub(crate) const ORDER: L = L("派车单号", "Dispatch order");
pub(crate) const ODOMETER_OUT: L = L("出车里程表读数（公里）", "Odometer at departure (km)");
pub(crate) const ODOMETER_IN: L = L("收车里程表读数（公里）", "Odometer on return (km)");
pub(crate) const DONE_DISPATCHED: L = L(
    "已派车，派车单已签名并发布",
    "Dispatched: the order is signed and published",
);
pub(crate) const DONE_TRIP: L = L("已登记", "Recorded");
pub(crate) const DONE_TRIP_REQUESTED: L = L(
    "用车申请已发出，等待车队派车（见 9 派车 或 tongchou trips --mine）",
    "Trip requested; the fleet will dispatch it (tongchou trips --mine)",
);
pub(crate) const TRIP_REQUEST: L = L("申请用车", "Request a vehicle");
pub(crate) const PICK_RESOURCE: L = L(
    "多个资源同名，请选择",
    "Several resources have this name: which one?",
);
pub(crate) const PICK_KEYS: L = L(
    "↑↓ 选择 · Enter 确定 · Esc 返回表单",
    "↑↓ choose · Enter take it · Esc back to the form",
);
pub(crate) const TRIP_KEYS: L = L(
    "Tab 切换字段 · Enter 提交 · Esc 取消",
    "Tab next field · Enter send · Esc cancel",
);
pub(crate) const NO_TRIP_REASON: L = L("无空闲车辆", "no vehicle free");
pub(crate) const COL_VEHICLE: L = L("车辆", "Vehicle");
pub(crate) const COL_DRIVER: L = L("驾驶员", "Driver");

// The warehouse (公物仓).
pub(crate) const SCREEN_WAREHOUSE: L = L("公物仓", "Warehouse");
pub(crate) const SHORT_WAREHOUSE: L = L("仓库", "Whse");
pub(crate) const HELP_WAREHOUSE: L = L(
    "Tab 切换 借用/库存/调剂 · ↑↓ 选择 · 借用：h 交付（标签、备注）· b 收回（损坏件数、备注）· s 签收本单位借到的资产 · 库存：m 修复 · d 处置（件数、方式、原因）· t 调剂给其他单位 · i 盘点 · 调剂：a 接收 · x 谢绝（均需确认）",
    "Tab loans/inventory/transfers · ↑↓ choose · Loans: h hand over (tags, note) · b take back (damaged units, note) · s countersign what we borrowed · Inventory: m repair · d dispose (units, method, reason) · t offer to another agency · i count · Transfers: a accept · x decline (both confirmed first)",
);
pub(crate) const WH_LOANS: L = L("借用", "Loans");
pub(crate) const WH_INVENTORY: L = L("库存", "Inventory");
pub(crate) const WH_TRANSFERS: L = L("调剂", "Transfers");
pub(crate) const WH_OVERDUE: L = L("⚠ 逾期", "⚠ overdue");
pub(crate) const WH_DUE_TODAY: L = L("今日到期", "due today");
pub(crate) const WH_HAND_OVER_TODAY: L = L("今日交付", "hand over");
pub(crate) const WH_HANDOVER: L = L("交付", "Hand over");
pub(crate) const WH_RETURN: L = L("收回", "Take back");
pub(crate) const WH_REPAIR: L = L("修复（修旧利废）", "Repair");
pub(crate) const WH_DISPOSE: L = L("处置", "Dispose of units");
pub(crate) const WH_OFFER: L = L("调剂给其他单位", "Offer to another agency");
pub(crate) const WH_COUNT: L = L("清查盘点", "Inventory count");
pub(crate) const WH_LENT_TO: L = L("借给{a}", "to {a}");
pub(crate) const WH_BORROWED_FROM: L = L("借自{a}", "from {a}");
pub(crate) const WH_TAKES_ALL: L = L("收回全部 {n} 件", "takes all {n} units back");
pub(crate) const WH_TAGS_OF: L = L("本资产标签：", "Tags of the asset: ");
pub(crate) const WH_WHOLE: L = L("整项", "whole");
pub(crate) const WH_IDLE: L = L("闲置", "idle");
pub(crate) const WH_NOT_COUNTED: L = L("未盘点", "not counted");
pub(crate) const WH_TAGS: L = L("标签", "Tags");
pub(crate) const WH_CATEGORY: L = L("类别", "Category");
pub(crate) const WH_YEAR: L = L("购置年份", "Year");
pub(crate) const WH_VALUE: L = L("原值（元）", "Value (yuan)");
pub(crate) const WH_EXPECTED: L = L("应在库", "Expected on the shelf");
pub(crate) const WH_TRANSFERRED: L = L("调出", "Given away");
pub(crate) const WH_COUNTED_AT: L = L("于", "on");
pub(crate) const WH_DISCREPANCY: L = L("差异", "Discrepancy");
pub(crate) const WH_IDLE_NOTE: L = L(
    "近 30 天无人借用，之后也无预订",
    "not used in the last 30 days, nothing booked ahead",
);
pub(crate) const WH_NOT_APPLICABLE: L = L(
    "所选条目现在不能这样操作",
    "That step does not apply to the selected row now",
);
pub(crate) const WH_INPUT_KEYS: L = L(
    "Tab 切换字段 · ←→ 选择 · Enter 提交 · Esc 取消",
    "Tab next field · ←→ choose · Enter send · Esc cancel",
);
pub(crate) const KEY_HANDOVER: L = L("h 交付", "h hand over");
pub(crate) const KEY_TAKE_BACK: L = L("b 收回", "b take back");
pub(crate) const KEY_RECEIVE: L = L("s 签收", "s countersign");
pub(crate) const KEY_REPAIR: L = L("m 修复", "m repair");
pub(crate) const KEY_DISPOSE: L = L("d 处置", "d dispose");
pub(crate) const KEY_OFFER: L = L("t 调剂", "t offer");
pub(crate) const KEY_COUNT: L = L("i 盘点", "i count");
pub(crate) const KEY_ACCEPT: L = L("a 接收", "a accept");
pub(crate) const KEY_DECLINE: L = L("x 谢绝", "x decline");
pub(crate) const F_TAGS: L = L(
    "交付的资产标签（逗号分隔，可不填）",
    "Tags handed over (comma, optional)",
);
pub(crate) const F_NOTE: L = L("备注", "Note");
pub(crate) const F_DAMAGED: L = L("其中损坏件数", "Of which damaged");
pub(crate) const F_UNITS: L = L("件数", "Units");
pub(crate) const F_METHOD: L = L("处置方式", "Method");
pub(crate) const F_DISPOSE_REASON: L = L("处置原因", "Reason");
pub(crate) const F_TO_AGENCY: L = L("接收单位（输入名称筛选）", "To (type part of the name)");
pub(crate) const F_UNITS_OR_WHOLE: L =
    L("件数（不填为整项资产）", "Units (empty: the whole asset)");
pub(crate) const F_COUNTED: L = L("实盘件数", "Units counted");
pub(crate) const E_DAMAGED: L = L(
    "损坏件数不能超过收回件数",
    "damaged units cannot exceed the units taken back",
);
pub(crate) const E_AGENCY: L = L("没有名称匹配的成员单位", "no member agency has that name");
pub(crate) const ASK_RECEIVE: L = L(
    "签收这次交付？即确认本单位已收到：",
    "Countersign this handover, confirming we received:",
);
pub(crate) const ASK_ACCEPT: L = L(
    "接收这项调剂？接收后资产（或这些件数）归本单位：",
    "Accept this transfer? The asset (or these units) becomes ours:",
);
pub(crate) const ASK_DECLINE: L = L("谢绝这项调剂？", "Decline this transfer?");
pub(crate) const DONE_HANDED_OVER: L = L(
    "交付已登记，等待借用单位签收",
    "Handover recorded; the borrower countersigns",
);
pub(crate) const DONE_RECEIVED: L = L("已签收", "Receipt countersigned");
pub(crate) const DONE_TAKEN_BACK: L = L("收回已登记", "Return recorded");
pub(crate) const DONE_REPAIRED: L = L(
    "修复已登记，恢复可借",
    "Repair recorded; the units can be lent again",
);
pub(crate) const DONE_DISPOSED: L = L("处置已登记", "Disposal recorded");
pub(crate) const DONE_OFFERED: L = L(
    "调剂已发出，等待对方接收",
    "Offer sent; waiting for the receiver",
);
pub(crate) const DONE_ACCEPTED: L = L("已接收调剂", "Transfer accepted");
pub(crate) const DONE_DECLINED: L = L("已谢绝调剂", "Transfer declined");
pub(crate) const DONE_COUNTED: L = L("盘点已登记", "Count recorded");
pub(crate) const COL_ALERT: L = L("提醒", "Alert");
pub(crate) const COL_DUE: L = L("归还时间", "Due back");
pub(crate) const COL_ASSET: L = L("资产", "Asset");
pub(crate) const COL_PARTY: L = L("借给/借自", "To / from");
pub(crate) const COL_UNITS: L = L("件数", "Units");
pub(crate) const COL_TOTAL: L = L("总数", "Total");
pub(crate) const COL_AVAILABLE: L = L("可借", "Free");
pub(crate) const COL_ON_LOAN: L = L("借出", "Out");
pub(crate) const COL_DAMAGED: L = L("损坏", "Damaged");
pub(crate) const COL_DISPOSED: L = L("处置", "Disposed");
pub(crate) const COL_COUNTED: L = L("盘点", "Counted");
pub(crate) const COL_FROM_TO: L = L("调出 → 调入", "From → to");

// Column headers and labels.
pub(crate) const COL_NAME: L = L("名称", "Name");
pub(crate) const COL_KIND: L = L("类型", "Kind");
pub(crate) const COL_CITY: L = L("城市", "City");
pub(crate) const COL_OWNER: L = L("所属单位", "Owner");
pub(crate) const COL_CAPACITY: L = L("容量", "Capacity");
pub(crate) const COL_FEATURES: L = L("设施", "Features");
pub(crate) const COL_RESOURCE: L = L("资源", "Resource");
pub(crate) const COL_TIME: L = L("时间", "Time");
pub(crate) const COL_STATUS: L = L("状态", "Status");
pub(crate) const COL_REQUESTER: L = L("申请单位", "Requester");
pub(crate) const COL_PURPOSE: L = L("用途", "Purpose");
pub(crate) const COL_SPARE: L = L("余量", "Spare");
pub(crate) const COL_COMPETING: L = L("竞争", "Competing");
pub(crate) const COL_AGENCY: L = L("单位", "Agency");
pub(crate) const COL_CONNECTED: L = L("连接", "Link");
pub(crate) const COL_LAG: L = L("待同步", "Lag");
pub(crate) const COL_IN_OUT: L = L("收/发", "In/Out");
pub(crate) const COL_BYTES_IN: L = L("收到(重复%)", "Received (again)");
pub(crate) const COL_REFUSED: L = L("拒收", "Refused");
pub(crate) const COL_LAST_SEEN: L = L("最近", "Last seen");
pub(crate) const COL_ROLE: L = L("角色", "Role");
pub(crate) const COL_RANK: L = L("排位", "Rank");
pub(crate) const COL_WHY: L = L("排序依据", "Why this order");
pub(crate) const COL_REASON: L = L("原因", "Reason");
pub(crate) const COL_DOC: L = L("内容", "What");
pub(crate) const COL_JOINED: L = L("加入于", "Joined");
pub(crate) const NODE_COUNTS: L = L(
    "{r} 个资源 · {b} 项预订 · 待补齐 {p} · 拒收 {x}",
    "{r} resources · {b} bookings · {p} waiting · {x} refused",
);
pub(crate) const CONNECTIONS_N: L = L(
    "连接 {c}/{max}（本节点拨出 {o}，其他成员连入 {i}；已找到成员 {f}）",
    "{c} of {max} connections ({o} dialled, {i} accepted; {f} members found)",
);
pub(crate) const TOPICS_N: L = L(
    "实时主题 {t} 个（本节点发布 {p} 条，收到 {r} 条，未转发 {x} 条）",
    "{t} live topics ({p} published, {r} received, {x} not passed on)",
);
pub(crate) const SEALED_N: L = L(
    "{d} 前结束的记录已封存：{n} 份文档在磁盘（报表照读）",
    "sealed before {d}: {n} documents on disk (reports read them)",
);
pub(crate) const SEALED_HERE: L = L(
    "{d} 前结束的预订已封存到磁盘，此处可能不显示：用统计（R）查看",
    "bookings that ended before {d} are sealed on disk and may not show here: see the report (R)",
);
pub(crate) const SEALED_NONE: L = L(
    "尚无封存（记录结束两个月后封存到磁盘）",
    "nothing sealed (records go to disk two months after they end)",
);
pub(crate) const FOLLOWING_ALL: L = L(
    "保存全网的预订（未设置关注）",
    "holds the whole network's bookings (follows nothing in particular)",
);
pub(crate) const FOLLOWING_N: L = L(
    "保存 {n} 个机构的预订（tongchou follows 查看）",
    "holds the bookings of {n} owners (see tongchou follows)",
);
pub(crate) const DOC_CATALOG: L = L("{a}的资源目录", "catalogue of {a}");
pub(crate) const DOC_DECISIONS: L = L("{a}的审批 · {m}", "decisions of {a} · {m}");
pub(crate) const DOC_REQUESTS: L = L("{a}向{b}的申请 · {m}", "requests of {a} to {b} · {m}");
pub(crate) const WHY_VERSION: L = L(
    "对方版本不兼容，需升级",
    "incompatible version: upgrade needed",
);
pub(crate) const WHY_TOO_LARGE: L = L("变更过大", "change too large");
pub(crate) const WHY_MALFORMED: L = L("数据损坏或格式错误", "damaged or malformed data");
pub(crate) const WHY_NOT_OWNER: L = L("签名单位无权写入", "signer may not write this");
pub(crate) const WHY_SIGNATURE: L = L("签名无效（可能被伪造）", "bad signature (possibly forged)");
pub(crate) const WHY_NOT_MEMBER: L = L("签名单位不是成员", "signer is not a member");
pub(crate) const WHY_REVOKED: L = L("签名单位已被撤销", "signer was revoked");
pub(crate) const WHY_FORK: L = L(
    "历史冲突（同一位置两份变更）",
    "conflicting history (two changes in one place)",
);
pub(crate) const WHY_RECORD: L = L("内容不符合规则", "content breaks the rules");
pub(crate) const WHY_CLOCK: L = L(
    "时间早于该单位之前的记录（时钟回拨）",
    "dated before the signer's earlier records (clock set back)",
);
pub(crate) const WHY_QUEUE: L = L("待处理队列已满，稍后重发", "queue full; will be sent again");

pub(crate) const SEARCH: L = L("搜索", "Search");
pub(crate) const ALL: L = L("全部", "all");
pub(crate) const MIN_CAPACITY: L = L("最小容量", "min capacity");
pub(crate) const DETAILS: L = L("详情", "Details");
pub(crate) const NOTHING: L = L("（无）", "(none)");
pub(crate) const DAY_VIEW: L = L("日视图", "Day");
pub(crate) const WEEK_VIEW: L = L("周视图", "Week");
pub(crate) const LEGEND: L = L(
    "█ 已确认  ▓ 本单位  1-9 待定排位  ▒ 忙（未关注的机构）  ░ 关闭/停用  · 空闲  › 时段外另有预订",
    "█ confirmed  ▓ ours  1-9 tentative rank  ▒ busy (owner not followed)  ░ closed  · free  › more outside these hours",
);
pub(crate) const AT_CURSOR: L = L("光标处", "At cursor");
pub(crate) const FREE: L = L("空闲", "free");
pub(crate) const CLOSED: L = L("关闭", "closed");
pub(crate) const BUSY: L = L("忙", "busy");
pub(crate) const FOUND_BY_BUSY: L = L(
    "▒ 未关注的机构：按其忙闲信息查找，以所属机构审批为准",
    "▒ owner not followed: searched by its free/busy; the owner decides",
);
pub(crate) const BUSY_WAITING: L = L("待审批", "waiting");
pub(crate) const BUSY_FROM: L = L("来自{agency}，{s} 秒前", "from {agency}, {s} s ago");
pub(crate) const BUSY_UNKNOWN: L = L(
    "未关注该机构，尚无忙闲信息（正在向该机构或关注它的节点获取）",
    "owner not followed: no free/busy yet (being fetched from it or a node following it)",
);

// Forms.
pub(crate) const F_QUANTITY: L = L("人数/数量", "People / units");
pub(crate) const F_CITY: L = L("城市", "City");
pub(crate) const F_KIND: L = L("类型", "Kind");
pub(crate) const F_FEATURES: L = L("设施(逗号分隔)", "Features (comma)");
pub(crate) const F_DURATION: L = L("时长", "Duration");
pub(crate) const F_DATE: L = L("日期", "Date");
pub(crate) const F_DAYS: L = L("搜索天数", "Days to search");
pub(crate) const E_DURATION: L = L("时长如 90、2h、2天", "duration as 90, 2h or 2d");
pub(crate) const E_DAYS: L = L("天数为 1 到 62", "days from 1 to 62");
pub(crate) const F_FROM_HOUR: L = L("最早开始", "Earliest start");
pub(crate) const F_TO_HOUR: L = L("最晚结束", "Latest end");
pub(crate) const F_RESOURCE: L = L("资源", "Resource");
pub(crate) const F_START: L = L("开始", "Start");
pub(crate) const F_END: L = L("结束", "End");
pub(crate) const F_PURPOSE: L = L("用途", "Purpose");
pub(crate) const F_CONTACT: L = L("联系人", "Contact");
pub(crate) const F_REPEAT: L = L("重复", "Repeat");
pub(crate) const F_WAIT_LIST: L = L("候补(是/否)", "Wait list y/n");
pub(crate) const E_YES_NO: L = L(
    "请填 是 或 否（或留空）；不能与重复同用",
    "type y or n (or leave it empty); not with a repeat",
);
pub(crate) const DONE_CHECKED_IN: L = L("已签到", "checked in");
pub(crate) const E_CHECKIN_CONFIRMED: L = L(
    "只有已确认的预订可以签到",
    "only a confirmed booking can be checked in",
);
pub(crate) const F_REASON: L = L("拒绝原因", "Reason for rejection");
pub(crate) const F_AGENCY_NAME: L = L("受邀单位名称", "Agency to invite");

pub(crate) const CANDIDATES: L = L("候选时段（按匹配度排序）", "Candidates (best first)");
pub(crate) const NO_CANDIDATES: L = L(
    "没有符合条件的空闲时段，请放宽条件",
    "No free slot matches; widen the search",
);
pub(crate) const FORM_HINT: L = L(
    "Tab/↑↓ 切换字段 · Enter 提交 · Esc 结束编辑",
    "Tab/↑↓ next field · Enter submit · Esc stop editing",
);
pub(crate) const RESULT: L = L("结果", "Result");
pub(crate) const SUBMITTED_AT: L = L("提交于", "submitted");
pub(crate) const WAITING_FOR_APPROVAL: L = L("等待{owner}审批", "waiting for {owner} to approve");
pub(crate) const AHEAD_OF_YOURS: L = L(
    "与{who} {time} 的{what}重叠，排在您前面",
    "overlaps {who}'s {what} {time}, ahead of yours",
);
pub(crate) const A_CONFIRMED_BOOKING: L = L("已确认预订", "confirmed booking");
pub(crate) const A_REQUEST: L = L("申请", "request");
pub(crate) const OUR_AGENCY: L = L("本单位", "your agency");
pub(crate) const ALTERNATIVES: L = L(
    "替代方案（↑↓ 选择，a 填入表单）",
    "Alternatives (↑↓ to choose, a to fill the form)",
);
pub(crate) const SUBMITTING: L = L("正在提交…", "Submitting…");

// Validation.
pub(crate) const E_NUMBER: L = L("须为正整数", "must be a positive whole number");
pub(crate) const E_DATE: L = L(
    "日期格式：2026-12-01、今天、明天、+3 或 周二",
    "date as 2026-12-01, today, tomorrow, +3 or tue",
);
pub(crate) const E_HOUR: L = L("时间格式：09:00", "time as 09:00");
pub(crate) const E_DATETIME: L = L("时间格式：2026-12-01 09:00", "time as 2026-12-01 09:00");
pub(crate) const E_RESOURCE: L = L("未知资源", "unknown resource");
pub(crate) const E_AMBIGUOUS: L = L(
    "多个资源同名，请填写资源标识：",
    "several resources have this name; enter the id of the one you mean:",
);
pub(crate) const E_KIND: L = L(
    "类型：会议室/meeting-room、共享办公/office、停车位/parking、充电桩/ev-charger、公务用车/vehicle、公物仓资产/warehouse-asset",
    "kind: meeting-room, office, parking, ev-charger, vehicle, warehouse-asset",
);
pub(crate) const E_FIX_FIELDS: L = L("请先修正标红的字段", "Fix the fields marked in red first");
pub(crate) const E_PURPOSE: L = L("请填写用途", "a purpose is required");
pub(crate) const E_REPEAT: L = L(
    "重复规则如 FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10（DAILY/WEEKLY/MONTHLY，需 COUNT 或 UNTIL）",
    "a repeat rule like FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10 (DAILY/WEEKLY/MONTHLY, with COUNT or UNTIL)",
);
pub(crate) const DONE_SERIES: L = L("已提交周期预约", "Recurring booking submitted");
pub(crate) const SERIES_FMT: L = L(
    "周期预约：第{i}/{n}次 · {rule}",
    "Recurring: occurrence {i} of {n} · {rule}",
);
pub(crate) const QUOTAS: L = L("配额", "Quotas");
pub(crate) const EACH_AGENCY: L = L("每个申请单位", "each requesting agency");
pub(crate) const ALREADY_SENT: L = L(
    "这项申请已经提交过（结果见下方）",
    "this request was already sent (its result is below)",
);

// Lists.
pub(crate) const UPCOMING: L = L("即将开始", "Upcoming");
pub(crate) const PAST: L = L("已过去", "Past");
pub(crate) const PENDING_HEADER: L = L("待审批申请", "Requests waiting for a decision");
pub(crate) const CONFLICTS_HEADER: L = L("重叠的待定申请", "Overlapping tentative requests");
pub(crate) const OVERLAPS: L = L("与之重叠", "Overlaps with");
pub(crate) const HISTORY: L = L("申请单位历史", "Requester's history");
pub(crate) const HISTORY_FMT: L = L(
    "在本单位资源上：已确认 {c}，已拒绝 {r}，已取消 {x}，待定 {t}",
    "on our resources: {c} confirmed, {r} rejected, {x} cancelled, {t} tentative",
);
pub(crate) const RANK_WHY: L = L(
    "按提交时间先后排序（提交后才看到的申请不会排到前面），时间相同按单位排序",
    "ranked by submission time (a request made after another was seen never ranks ahead of it), ties by agency",
);
pub(crate) const FITS: L = L("可容纳", "fits");
pub(crate) const DOES_NOT_FIT: L = L("容量不足", "does not fit");
pub(crate) const WAITING_LIST: L = L(
    "候补中：有空位时自动确认",
    "on the waiting list: confirmed when room frees up",
);
pub(crate) const CHECKED_IN: L = L("已签到", "checked in");
pub(crate) const HOLD_TITLE: L = L(
    "占用（重大活动/应急保障）",
    "Hold (major event / emergency)",
);
pub(crate) const HOLD_RELEASES: L = L(
    "将收回的已确认预订：{n} 项（申请单位会收到原因和替代方案）",
    "confirmed bookings to withdraw: {n} (their requesters get the reason and alternatives)",
);
pub(crate) const HOLD_KEYS: L = L(
    "Tab 切换字段 · Enter 占用 · Esc 取消",
    "Tab next field · Enter hold · Esc cancel",
);
pub(crate) const E_HOLD_FIELDS: L = L(
    "请填写开始、结束（结束晚于开始）和原因",
    "give a start, an end after it, and a reason",
);
pub(crate) const E_NOT_OURS: L = L("只能占用本单位的资源", "only our own resources can be held");
pub(crate) const F_HOLD_REASON: L = L("原因", "Reason");
pub(crate) const DONE_HELD: L = L("已占用", "held");
pub(crate) const REQUESTED_BY: L = L("申请人", "requested by");
pub(crate) const DECIDED_BY: L = L("审批人", "decided by");
pub(crate) const SUGGESTED: L = L("建议的替代时段", "Suggested alternatives");
pub(crate) const NEEDS_APPROVAL: L = L("需审批", "needs approval");
pub(crate) const PEERS: L = L("对等节点", "Peers");
pub(crate) const ROSTER: L = L("成员名册", "Roster");
pub(crate) const REFUSALS: L = L("拒收的变更", "Refused changes");
pub(crate) const THIS_NODE: L = L("本节点", "This node");
pub(crate) const YES: L = L("是", "yes");
pub(crate) const NO: L = L("否", "no");
pub(crate) const ACTIVE: L = L("有效", "active");
pub(crate) const REVOKED: L = L("已撤销", "revoked");
pub(crate) const ADMIN: L = L("管理员", "admin");
pub(crate) const MEMBER: L = L("成员", "member");
pub(crate) const NEVER: L = L("从未", "never");

// Dialogs and messages.
pub(crate) const CONFIRM: L = L("确认", "Confirm");
pub(crate) const CONFIRM_KEYS: L = L("y 确认 · n/Esc 取消", "y confirm · n/Esc cancel");
pub(crate) const ASK_CANCEL: L = L("取消这项预订？", "Cancel this booking?");
pub(crate) const ASK_APPROVE_OUT_OF_TURN: L = L(
    "这项申请不在队首。批准它会挤掉排在它前面、本来放得下的申请：",
    "This request is not first in line. Approving it pushes out the requests ahead of it, which fit now:",
);
pub(crate) const ASK_REVOKE: L = L(
    "撤销该单位的成员资格？此后其新变更将在全网被拒收。",
    "Revoke this agency? Its new changes will be refused everywhere.",
);
pub(crate) const INVITE_TOKEN: L = L(
    "邀请码（复制后交给对方，`tongchou join` 使用）",
    "Invitation token (give it to them for `tongchou join`)",
);
pub(crate) const DONE_BOOKED: L = L("已提交预订", "Booking submitted");
pub(crate) const DONE_CANCELLED: L = L("已取消预订", "Booking cancelled");
pub(crate) const DONE_DECIDED: L = L("决定已签名并发布", "Decision signed and published");
pub(crate) const DONE_REVOKED: L = L("已撤销成员资格", "Membership revoked");
pub(crate) const ASK_BLOCK: L = L(
    "在本节点屏蔽该成员？双向断开连接，直到解除；网络其他成员不受影响。",
    "Block this member on this node? No connection either way until unblocked; the rest of the network is not affected.",
);
pub(crate) const ASK_UNBLOCK: L = L(
    "解除屏蔽？立即重新连接该成员的节点。",
    "Unblock it? Its node is dialled again at once.",
);
pub(crate) const DONE_BLOCKED: L = L("已屏蔽该成员", "Member blocked");
pub(crate) const DONE_UNBLOCKED: L = L("已解除屏蔽", "Member unblocked");
pub(crate) const BLOCKED: L = L("已屏蔽", "blocked");
pub(crate) const NOT_YOURS: L = L(
    "只能取消本单位的申请",
    "You can only cancel your own requests",
);
pub(crate) const NOTHING_SELECTED: L = L("未选择任何项", "Nothing selected");

// Help.
pub(crate) const HELP_TITLE: L = L("按键帮助（Esc 关闭）", "Keys (Esc closes)");
pub(crate) const HELP_GLOBAL: L = L(
    "1-9、0、R 切换页面 · Tab 切换窗格 · ↑↓/jk 移动 · Enter 选择 · Esc 返回 · r 刷新 · L 中/英 · q 退出",
    "1-9, 0, R screens · Tab panes · ↑↓/jk move · Enter select · Esc back · r refresh · L zh/en · q quit",
);
pub(crate) const HELP_RESOURCES: L = L(
    "/ 搜索 · t 类型 · c 城市 · o 单位 · +/- 最小容量 · Enter 查看日历 · b 预订",
    "/ search · t kind · c city · o owner · +/- min capacity · Enter calendar · b book",
);
pub(crate) const HELP_CALENDAR: L = L(
    "w 日/周切换 · ←→/hl 移动时间 · ↑↓/jk 资源 · [ ] 前/后一天(周) · t 今天 · Enter 在光标处预订 · H 占用本单位资源",
    "w day/week · ←→/hl time · ↑↓/jk resource · [ ] previous/next day (week) · t today · Enter book at cursor · H hold our resource",
);
pub(crate) const HELP_FIND: L = L(
    "编辑条件后 Enter 查找（日期可写 2026-12-08、12-14、明天、+3、周二、下周二；时长 90、2h、2天）· Tab 切到候选列表 · Enter/b 用所选时段填好预订表单；选中的是公务车时，Enter 申请用车（填目的地和用途，由车队派车）",
    "edit the query (dates: 2026-12-08, 12-14, tomorrow, +3, tue; durations 90, 2h, 2d), Enter searches · Tab to the candidates · Enter/b fills the booking form with the selected slot; on an official vehicle, Enter requests a trip (destination and purpose; the fleet dispatches it)",
);
pub(crate) const HELP_BOOK: L = L(
    "填写表单（用途必填）后 Enter 提交 · 结果实时更新 · ↑↓ 选择替代方案，a 填入表单",
    "fill the form (purpose required), Enter submits · the result updates live · ↑↓ choose an alternative, a fills the form",
);
pub(crate) const HELP_MINE: L = L(
    "p 即将/已过去 · c 取消所选预订 · i 签到 · a 采用替代方案",
    "p upcoming/past · c cancel the selected booking · i check in · a take an alternative",
);
pub(crate) const HELP_APPROVALS: L = L(
    "a 批准 · x 拒绝（填写原因）· 右侧显示冲突和申请单位历史",
    "a approve · x reject (with a reason) · conflicts and requester history on the right",
);
pub(crate) const HELP_CONFLICTS: L = L(
    "a 批准 · x 拒绝 · 显示排位及依据和建议的替代时段",
    "a approve · x reject · shows the rank, why, and suggested alternatives",
);
pub(crate) const HELP_NETWORK: L = L(
    "Tab 切换 对等节点/成员/拒收 · i 邀请单位 · x 撤销所选成员 · b 屏蔽/解除所选对等节点",
    "Tab peers/roster/refusals · i invite an agency · x revoke the selected member · b block/unblock the selected peer",
);

// The report (统计).
pub(crate) const SCREEN_REPORT: L = L("统计", "Report");
pub(crate) const SHORT_REPORT: L = L("统计", "Rep");
pub(crate) const HELP_REPORT: L = L(
    "[ ] 上一月/下一月（本月统计到今天）· g 切换分组：类型→所属单位→申请单位→城市→资源→月份 · r 重新统计 · 利用率图按已预订小时取前几组",
    "[ ] previous/next month (this month counts up to today) · g grouping: kind → owner → requester → city → resource → month · r report again · the utilisation chart shows the groups with the most booked hours",
);
pub(crate) const BY_RESOURCE: L = L("资源", "resource");
pub(crate) const BY_KIND: L = L("类型", "kind");
pub(crate) const BY_OWNER: L = L("所属单位", "owner");
pub(crate) const BY_REQUESTER: L = L("申请单位", "requester");
pub(crate) const BY_CITY: L = L("城市", "city");
pub(crate) const BY_MONTH: L = L("月份", "month");
pub(crate) const RPT_BY: L = L("分组", "by");
pub(crate) const RPT_KEYS: L = L("[ ] 上/下月 · g 分组", "[ ] month · g grouping");
pub(crate) const RPT_OPEN: L = L("开放", "open");
pub(crate) const RPT_BOOKED: L = L("已预订", "booked");
pub(crate) const RPT_HOURS: L = L("小时", "h");
pub(crate) const RPT_UTIL: L = L("利用率", "utilisation");
pub(crate) const RPT_CROSS: L = L("跨单位", "cross-agency");
pub(crate) const RPT_CONFIRMED: L = L("确认", "confirmed");
pub(crate) const RPT_REJECTED: L = L("拒绝", "rejected");
pub(crate) const RPT_CANCELLED: L = L("取消", "cancelled");
pub(crate) const RPT_TRIPS: L = L("出车", "trips");
pub(crate) const RPT_KM: L = L("公里", "km");
pub(crate) const RPT_LOANS: L = L("借用", "loans");
pub(crate) const RPT_UTIL_CHART: L = L(
    "利用率 %（已预订最多的组）",
    "Utilisation % (most booked groups)",
);
pub(crate) const RPT_HOURS_CHART: L = L("各时段已预订小时", "Booked hours by hour of day");
pub(crate) const RPT_PEAK: L = L("高峰", "peak");
pub(crate) const RPT_IDLE: L = L("闲置资源", "Idle resources");
pub(crate) const RPT_NONE: L = L("无", "none");
pub(crate) const RPT_LOADING: L = L("正在生成统计…", "Making the report…");
pub(crate) const RPT_FAILED: L = L("无法生成统计：", "No report: ");
pub(crate) const RPT_EMPTY: L = L("本期没有可统计的数据", "Nothing to report in this period");
