//! `--help` in Chinese: when the language is zh (`--lang zh` or `LANG=zh_CN…`)
//! the clap command tree gets its about and help texts from here, keyed by
//! command path and argument id; the English stays in the doc comments of
//! `cli.rs`. A test checks that every command and option has its Chinese.

use clap::{Arg, ArgAction, Command};

/// Commands: path (space-separated subcommands, "" for the root) → about.
const COMMANDS: &[(&str, &str)] = &[
    (
        "",
        "统筹：政府机关共享资源的点对点网络——运行节点，在命令行或终端界面中预订",
    ),
    ("run", "在前台运行节点守护进程"),
    ("status", "本节点：单位、网络、对等节点和同步状态"),
    ("network", "创建网络"),
    ("network create", "创建新网络，本单位成为第一个管理员"),
    (
        "invite",
        "签发一次性邀请码（管理员），或用 `invite revoke` 撤回",
    ),
    (
        "invite revoke",
        "撤回一份尚未使用的邀请：此后各成员都拒绝用它加入（一条签名的名册事件）",
    ),
    ("invites", "本单位的邀请：待使用、已使用、已撤回或已过期"),
    ("join", "用邀请码加入网络（新的节点目录）"),
    ("members", "成员名册"),
    ("revoke", "撤销一个单位（管理员）"),
    (
        "quota",
        "本单位资源的配额（实物定额）：一个申请单位最多可占用多少；超出的申请被拒绝并说明数字",
    ),
    (
        "quota set",
        "为一项资源（或本单位某类全部资源）设定配额；替换同一类、同一适用单位的旧配额",
    ),
    (
        "quota clear",
        "删除一项资源（或某类资源）的配额（加 --agency 只删该单位的）",
    ),
    ("quotas", "有配额的资源及其配额"),
    (
        "checkin",
        "签到本单位一项已确认的预约：要求签到的资源，开始后规定分钟内未签到的预约作为未到场释放",
    ),
    (
        "hold",
        "为重大活动或应急保障占用本单位的资源：挡路的已确认预约被释放，并向申请单位说明原因、提供备选",
    ),
    (
        "hold create",
        "在一段时间内占用若干资源的全部容量；释放冲突的已确认预约，每项附原因和备选",
    ),
    ("holds", "尚未结束的占用，以及被其释放的预约"),
    ("user", "本单位的人员（各有自己接口令牌的本地账号）"),
    (
        "user add",
        "添加一名人员：令牌只打印一次，并保存在节点目录的 users/姓名.token（权限 0600），供 --user 姓名 使用",
    ),
    ("users", "本单位的人员及其角色"),
    (
        "block",
        "在本节点屏蔽一个成员（核查期间的隔离）：双向不建立连接，直到 `unblock` 或指定时间；不签名任何记录，网络其他成员照常与其通信",
    ),
    ("unblock", "解除屏蔽：立即重新连接该成员的节点"),
    (
        "follow",
        "关注机构、城市或资源类型：本节点此后保存全部资源目录、本市和预订过的机构的预约，以及所关注的部分，其余不保存（从未执行 follow 的节点保存全部）；对等节点立即发来新增的部分",
    ),
    (
        "unfollow",
        "取消 follow 关注的机构、城市或资源类型（已保存的保留，不再接收新的）；对本市使用 --city 即不再关注本市",
    ),
    ("follows", "本节点关注什么、对应哪些机构，以及持有多少数据"),
    (
        "busy",
        "本节点未关注的机构的资源何时被占用：向该机构或关注它的节点获取并缓存，显示答复者和获取时间",
    ),
    (
        "rotate-key",
        "更换本单位密钥：新密钥由旧密钥签名的名册事件宣布；单位标识和全部历史仍然有效，轮换后用旧密钥签名的变更被拒收",
    ),
    ("resource", "发布或停用本单位的资源"),
    ("resource add", "发布（或替换）一项资源"),
    ("resource edit", "修改本单位一项资源的部分字段（其余不变）"),
    ("resource retire", "停用一项资源：不再接受新预订，历史保留"),
    (
        "resource import",
        "从 CSV 文件（表头为 `resource add` 的选项名；多个功能之间用 `;`）或 TOML 文件（`[[resource]]` 表）批量发布资源；列出被拒的行及原因",
    ),
    ("resources", "列出资源"),
    ("book", "申请预订"),
    ("bookings", "列出预订"),
    ("cancel", "取消本单位的一项申请"),
    ("decide", "批准或拒绝对本单位资源的申请"),
    ("slots", "查找空闲时段"),
    ("demo", "在本机启动四城市演示网络"),
    ("bench", "在本机运行基准测试（建议用 release 构建）"),
    (
        "tui",
        "终端界面（工作人员预订、运维审批），连接本目录的节点",
    ),
    ("ics", "导出 iCalendar（RFC 5545）日历"),
    (
        "backup",
        "在节点运行时备份本节点目录：一致的快照（密钥、配置、准入记录、全部已存变更）写入一个文件，权限 0600",
    ),
    (
        "verify",
        "离线检查本节点目录（须先停止节点）：密钥、配置、准入记录、数据库能否打开、每条变更能否解码并验签、已确认的变更是否都在；并说明如何处理",
    ),
    (
        "restore",
        "用备份文件建立新的节点目录（--home），用来替换丢失的节点；切勿与原节点同时运行",
    ),
    ("help", "显示本信息或指定子命令的帮助"),
    (
        "resource maintenance",
        "停用车辆（保养、维修）或驾驶员（休假）一段时间：期间不派车、不接受预订",
    ),
    (
        "resource blackout",
        "本单位资源的停用时段：新增（期间不接受预订）、解除一段时间，或列出",
    ),
    (
        "resource blackout add",
        "从 --from 到 --to 停用一项资源：期间不接受预订（已确认的预订保留并列出）",
    ),
    (
        "resource blackout remove",
        "从 --from 到 --to 恢复开放：删除这段时间内的停用时段（超出部分保留）",
    ),
    ("resource blackout list", "列出一项资源的停用时段"),
    ("trip", "公务用车行程：申请、派车、出车、收车、取消、拒绝"),
    ("trip request", "向车队所属单位申请用车；打印行程标识和状态"),
    (
        "trip dispatch",
        "为行程派出车辆和驾驶员（车队所属单位）；打印派车单号",
    ),
    ("trip reject", "拒绝行程（车队所属单位）"),
    ("trip start", "登记出车及里程表读数（车队所属单位）"),
    ("trip finish", "登记收车（车队所属单位）"),
    ("trip cancel", "取消本单位的行程（车辆和驾驶员随之释放）"),
    (
        "trip charge",
        "为新能源车的行程预约车队所属单位的充电桩，从收车时起；打印预约",
    ),
    ("trips", "列出行程"),
    (
        "resource repair",
        "登记资产的损坏件已修复（修旧利废）：恢复可借；加 --start 则登记为送修（维修中，仍不可借）",
    ),
    ("resource dispose", "处置资产的若干件（永久），先处置损坏件"),
    (
        "report",
        "期间内的利用率和业务量（统计直报）：已订对开放时长、审批结果、跨单位占比、出车、借用、闲置资源",
    ),
    (
        "webhook",
        "网络回调：节点把事件（待审批申请、审批结果、取消、释放、行程、借用、开始提醒）POST 到指定地址",
    ),
    (
        "webhook add",
        "登记一个地址；事件持久排队，对方不可达时重试",
    ),
    ("webhook list", "列出回调地址及待送、已送、失败次数"),
    ("webhook remove", "删除一个回调地址（及其待送事件）"),
    ("loan", "公物仓借用：交付、签收、归还"),
    ("loan handover", "把借用的物品交给借用单位（资产所属单位）"),
    ("loan receive", "签收交付（借用单位）"),
    (
        "loan return",
        "收回借出的物品（资产所属单位）；损坏件在修复前不可借",
    ),
    ("loans", "列出公物仓资产的借用"),
    ("transfer", "单位之间的资产调剂：发出、接收、谢绝"),
    ("transfer offer", "把一项资产（或其中若干件）调剂给另一单位"),
    ("transfer accept", "接收发给本单位的调剂"),
    ("transfer decline", "谢绝发给本单位的调剂"),
    ("transfers", "列出调剂"),
    (
        "inventory",
        "公物仓资产的件数（总数、可用、借出、损坏、处置）；`inventory count` 登记盘点",
    ),
    (
        "inventory count",
        "登记货架上清点到的件数（清查盘点，资产所属单位）；打印与账面的差异",
    ),
];

/// Options: "path|id" for one command, or "id" for every command that has it.
const ARGS: &[(&str, &str)] = &[
    ("home", "节点目录（密钥、配置、数据库）"),
    ("json", "输出机器可读的 JSON"),
    ("lang", "消息语言：zh 或 en（默认取自 LANG）"),
    ("help", "显示帮助"),
    ("version", "显示版本"),
    (
        "run|listen",
        "libp2p 监听地址（可重复），如 /ip4/0.0.0.0/tcp/4001",
    ),
    (
        "run|api",
        "本地 API 地址（只能是 127.0.0.1），如 127.0.0.1:7420",
    ),
    ("run|peer", "要保持连接的成员地址（可重复）"),
    (
        "run|bootstrap",
        "引导节点（`run --bootstrap-only` 的节点，以 /p2p/ID 结尾的多地址），在那里找到其他城市的成员（可重复）",
    ),
    ("run|no_mdns", "关闭局域网发现（mDNS）"),
    (
        "run|relay",
        "本节点无法被其他城市直接连接（在 NAT 之后）：通过引导节点的中继可达，并只在那里登记中继地址",
    ),
    (
        "run|discover_page",
        "引导节点每次应答的注册条目数（默认 1000，其余分页获取）：用于测试分页",
    ),
    (
        "run|max_connections",
        "最多保持的成员连接数（默认 50，或 config.toml 中的 max_connections）：一半由本节点拨出（连向所关注的资源单位，或持有其预订的成员），一半由其他成员连入",
    ),
    (
        "run|bootstrap_only",
        "改为运行引导节点：不持有单位数据，只帮助成员互相发现（rendezvous）；不需要网络或单位密钥",
    ),
    ("network create|name", "网络名称"),
    ("network create|agency", "本单位名称（中文）"),
    ("network create|agency_en", "英文名称"),
    ("city", "城市（中文）"),
    ("city_en", "城市（英文）"),
    ("invite|agency", "受邀单位名称"),
    ("invite|role", "角色：member（成员）或 admin（管理员）"),
    ("invite|expires", "有效期，如 7d、12h"),
    ("invite|bootstrap", "写入邀请码的其他引导节点地址"),
    (
        "invite|out",
        "把邀请码写入这个文件（权限 0600，文件已存在时拒绝）而不是打印",
    ),
    (
        "invite revoke|invitation",
        "要撤回的邀请：标识（或 `tongchou invites` 显示的前缀）或受邀单位名称",
    ),
    ("invites|all", "列出所有管理员的邀请，而不只是本单位的"),
    ("join|token", "邀请码"),
    ("join|agency", "本单位名称（中文）"),
    ("join|agency_en", "本单位英文名称"),
    ("join|bootstrap", "其他引导节点地址"),
    ("join|timeout", "等待成员确认的秒数"),
    ("revoke|agency", "单位标识"),
    (
        "quota set|resource",
        "资源（标识、唯一前缀或名称）；或用 --kind",
    ),
    ("quota set|kind", "本单位该类的每一项资源"),
    (
        "quota set|agency",
        "只限该单位的申请（默认：每个申请单位分别计算）",
    ),
    (
        "quota set|hours_per_week",
        "每周（周一至周日，按资源所在时区）小时数",
    ),
    ("quota set|hours_per_month", "每个自然月小时数"),
    (
        "quota set|max_concurrent",
        "同一时刻最多占用的单元数（或人数）",
    ),
    (
        "quota set|max_bookings",
        "每周或每月最多预订次数（与 --per 同用）",
    ),
    (
        "quota set|per",
        "与 --max-bookings 同用：week（周）或 month（月）",
    ),
    (
        "quota clear|resource",
        "资源（标识、唯一前缀或名称）；或用 --kind",
    ),
    ("quota clear|kind", "本单位该类的每一项资源"),
    ("quota clear|agency", "只删除适用于该单位的配额"),
    ("quotas|mine", "只看本单位的资源"),
    ("block|agency", "单位标识"),
    ("block|minutes", "只屏蔽这么多分钟（默认直到 `unblock`）"),
    ("unblock|agency", "单位标识"),
    ("follow|owners", "机构：标识、唯一前缀或名称（中文或英文）"),
    (
        "busy|owners",
        "机构：标识、唯一前缀或名称（中文或英文）；可重复或用逗号分隔",
    ),
    ("busy|from", "开始（默认现在）"),
    ("busy|to", "结束（默认开始后一周，最长 93 天）"),
    ("busy|max_age", "超过这么多秒的缓存重新获取"),
    ("follow|cities", "城市（中文或英文名）：该市的全部机构"),
    (
        "follow|kinds",
        "资源类型（meeting-room、office、parking、ev-charger、vehicle、warehouse-asset、driver）：拥有该类资源的全部机构",
    ),
    ("follow|all", "重新保存整个网络的数据（仅 follow）"),
    (
        "unfollow|owners",
        "机构：标识、唯一前缀或名称（中文或英文）",
    ),
    ("unfollow|cities", "城市（中文或英文名）：该市的全部机构"),
    (
        "unfollow|kinds",
        "资源类型（meeting-room、office、parking、ev-charger、vehicle、warehouse-asset、driver）：拥有该类资源的全部机构",
    ),
    ("unfollow|all", "重新保存整个网络的数据（仅 follow）"),
    ("reason", "原因"),
    ("resource add|id", "本地标识，如 room-301"),
    (
        "kind",
        "类型：meeting-room、office、parking、ev-charger、vehicle、warehouse-asset",
    ),
    ("name", "名称（中文）"),
    ("name_en", "名称（英文）"),
    ("site", "园区或地址"),
    ("building", "楼栋"),
    ("floor", "楼层"),
    (
        "resource add|people",
        "按人数计的容量（同一时间只接受一项预订）",
    ),
    ("resource add|units", "相同单元的数量"),
    (
        "resource add|feature",
        "功能标签（可重复），中英文均可：视频/video、投影仪/projector、无障碍/wheelchair……",
    ),
    (
        "resource add|attr",
        "属性 key=value（可重复），如 plate=粤B12345",
    ),
    ("approval", "auto（自动确认）或 required（需审批）"),
    ("min_minutes", "最短分钟数"),
    ("max_minutes", "最长分钟数（0 为不限）"),
    ("advance_days", "可提前预订的天数（0 为不限）"),
    ("buffer_minutes", "两次预订之间的间隔分钟数"),
    (
        "max_conflicts",
        "周期预订中最多可跳过几次冲突的日期（自动审批）；超过则整个系列被拒绝",
    ),
    (
        "max_conflict_percent",
        "同上，按系列总次数的百分比计（两个限制取较大者）",
    ),
    (
        "checkin_minutes",
        "须在开始后多少分钟内签到，否则作为未到场释放（0 为不需签到）",
    ),
    ("resource add|open", "开放时间，如 08:00-18:00"),
    (
        "resource add|days",
        "与 --open 同用的开放日，如 1-5（周一至周五）或 1,2,3（默认每天）",
    ),
    ("tz", "时区"),
    (
        "share",
        "共享范围：all（全部）、owner（仅本单位）或逗号分隔的单位标识",
    ),
    (
        "resource edit|id",
        "资源标识（所属单位/本地标识，或本地标识）",
    ),
    ("resource edit|people", "按人数计的容量（替换 --units）"),
    ("resource edit|units", "相同单元的数量（替换 --people）"),
    (
        "resource edit|feature",
        "功能标签（可重复；替换现有的全部标签）",
    ),
    (
        "resource edit|attr",
        "属性 key=value（可重复；替换现有属性）",
    ),
    (
        "resource edit|open",
        "开放时间，如 08:00-18:00，或 `always`（全天）",
    ),
    ("resource edit|days", "开放日，如 1-5"),
    (
        "resource retire|id",
        "资源标识（所属单位/本地标识，或本地标识）",
    ),
    ("resource import|file", "文件"),
    (
        "class",
        "车型：sedan（轿车）、suv、van（商务车）、bus（大客车）、truck（货车）、law-enforcement（执法执勤车）",
    ),
    (
        "energy",
        "能源：petrol（燃油）、hybrid（混合动力）、ev（新能源）",
    ),
    ("resource add|odometer", "里程表读数，公里"),
    ("resource edit|odometer", "里程表读数，公里"),
    (
        "resource maintenance|id",
        "资源标识（所属单位/本地标识，或本地标识）",
    ),
    ("resource maintenance|from", "开始"),
    ("resource maintenance|to", "结束"),
    (
        "resource blackout add|id",
        "资源标识（所属单位/本地标识，或本地标识）",
    ),
    (
        "resource blackout remove|id",
        "资源标识（所属单位/本地标识，或本地标识）",
    ),
    (
        "resource blackout list|id",
        "资源标识（所属单位/本地标识，或本地标识）",
    ),
    ("resource blackout add|from", "开始"),
    ("resource blackout add|to", "结束"),
    ("resource blackout remove|from", "开始"),
    ("resource blackout remove|to", "结束"),
    (
        "resource blackout add|reason",
        "原因，向申请人显示（重大活动、装修等）",
    ),
    ("trip", "行程标识"),
    ("trip request|owner", "车队所属单位：单位标识或名称"),
    (
        "trip request|vehicle",
        "指定一辆车（所属单位/本地标识），代替车型",
    ),
    (
        "trip request|from",
        "出发时间，如 \"明天 09:00\" 或 2026-12-14T09:00",
    ),
    ("trip request|to", "返回时间（可跨天）"),
    ("trip request|passengers", "乘车人数"),
    ("trip request|destination", "目的地"),
    ("trip request|purpose", "用途"),
    ("trip request|contact", "联系人"),
    (
        "trip dispatch|vehicle",
        "车辆（本地标识如 car-01，或所属单位/本地标识）",
    ),
    (
        "trip dispatch|driver",
        "驾驶员（本地标识或所属单位/本地标识）",
    ),
    ("trip start|odometer", "出车里程表读数，公里"),
    (
        "trip finish|odometer",
        "收车里程表读数，公里（不低于出车读数）",
    ),
    ("trip finish|fuel_l", "加油量，升"),
    ("trip finish|charge_kwh", "充电量，千瓦时"),
    ("trip finish|note", "备注"),
    ("trip charge|duration", "充电时长，如 2h、90m"),
    ("trips|pending", "只看等待本单位派车的行程"),
    ("trips|mine", "只看本单位申请的行程"),
    (
        "trips|vehicle",
        "只看这辆车的行程（本地标识或所属单位/本地标识）",
    ),
    ("trips|driver", "只看这位驾驶员的行程"),
    ("trips|from", "只看此时之后结束的行程"),
    (
        "resource add|tags",
        "资产标签（电子标签），逗号分隔，每件最多一个",
    ),
    ("resource add|category", "资产类别（办公家具、投影设备……）"),
    ("resource add|year", "购置年份"),
    ("resource add|value", "购置价值，元"),
    ("resource repair|id", "资产（标识、唯一前缀或名称）"),
    ("resource repair|units", "件数"),
    ("resource repair|tags", "哪几件（资产标签，逗号分隔）"),
    (
        "resource repair|start",
        "只登记送修：损坏 → 维修中（仍不可借）",
    ),
    ("resource dispose|tags", "哪几件（资产标签，逗号分隔）"),
    (
        "loan return|damaged_tags",
        "损坏件的资产标签，逗号分隔（不超过 --damaged 件）",
    ),
    ("resource dispose|id", "资产（标识、唯一前缀或名称）"),
    ("resource dispose|units", "处置的件数"),
    (
        "resource dispose|method",
        "处置方式：拍卖|回收|捐赠|报废（auction、recycle、donate、scrap）",
    ),
    (
        "resources|idle_days",
        "只列出这么多天未被使用、今后也无预订的资源（闲置资产，可供调剂）",
    ),
    ("webhook add|url", "POST 的地址（http:// 或 https://）"),
    (
        "webhook add|events",
        "事件，逗号分隔：request、decision、cancel、release、trip、loan、reminder（默认全部）",
    ),
    (
        "webhook add|secret",
        "HMAC-SHA256 签名（X-Tongchou-Signature 头）的密钥",
    ),
    ("webhook remove|id", "编号，见 `webhook list`"),
    ("report|from", "统计期间开始：日期（当日零点）或时间"),
    ("report|to", "统计期间结束：日期（含当日）或时间"),
    (
        "report|by",
        "分组：resource（资源）、kind（类型）、owner（所属单位）、requester（申请单位）、city（城市）、month（月份）",
    ),
    ("report|kind", "只统计这类资源"),
    ("report|owner", "只统计这个单位的资源（标识或名称）"),
    (
        "report|format",
        "格式：table（表格）、csv、json 或 xlsx（需 --out）",
    ),
    ("report|out", "写入这个文件，而不是显示在屏幕上"),
    ("loan handover|booking", "借用（预订标识）"),
    ("loan handover|tags", "交付的资产标签，逗号分隔：T1,T2"),
    ("loan handover|note", "备注（物品状况）"),
    ("loan receive|booking", "借用（预订标识）"),
    ("loan return|booking", "借用（预订标识）"),
    ("loan return|units", "归还件数（借用的全部件数）"),
    ("loan return|damaged", "其中损坏的件数"),
    ("loan return|note", "备注（损坏情况）"),
    ("loans|overdue", "只看已到期未归还的借用"),
    ("loans|mine", "只看本单位借用的"),
    ("loans|lent", "只看本单位资产的借出"),
    ("loans|open", "只看尚未归还的借用"),
    ("loans|asset", "只看这项资产（标识、唯一前缀或名称）"),
    ("transfer offer|asset", "资产（标识、唯一前缀或名称）"),
    ("transfer offer|to", "调入单位：单位标识或名称"),
    ("transfer offer|units", "件数（不填则整项调剂）"),
    ("transfer offer|note", "给调入单位的备注"),
    (
        "transfer accept|id",
        "调剂：`tongchou transfers` 显示的标识，或资产名称（只有一项待接收时）",
    ),
    ("transfer decline|id", "调剂：标识或资产名称"),
    ("transfers|pending", "只看等待答复的调剂"),
    ("transfers|all", "所有调剂，而不只是本单位发出或收到的"),
    ("inventory|owner", "只看这个单位的资产（标识或名称）"),
    ("inventory|asset", "只看这项资产（标识、唯一前缀或名称）"),
    (
        "inventory|discrepancies",
        "只看最近一次盘点与账面不符的资产",
    ),
    ("inventory count|asset", "资产（标识、唯一前缀或名称）"),
    ("inventory count|counted", "清点到的件数"),
    ("inventory count|note", "备注"),
    ("trips|to", "只看此时之前开始的行程"),
    ("resources|city", "城市"),
    ("resources|owner", "所属单位"),
    (
        "resources|free_from",
        "只列出从此时起空闲的资源（与 --free-to 同用）",
    ),
    (
        "resources|free_to",
        "只列出到此时为止空闲的资源（与 --free-from 同用）",
    ),
    ("resources|quantity", "空闲时段内须容纳的人数或单元数"),
    (
        "book|resource",
        "资源：标识（所属单位/本地标识）、标识的唯一前缀或名称（多个资源同名时拒绝并列出）",
    ),
    (
        "book|from",
        "开始，如 2026-12-01T09:00（本地时间）或 RFC 3339",
    ),
    ("book|to", "结束"),
    ("quantity", "人数或单元数"),
    ("book|purpose", "用途"),
    ("book|contact", "联系人"),
    ("book|wait", "最多等待所属单位审批的秒数"),
    (
        "book|wait_list",
        "容纳不下时进入候补：一有空位（取消、释放、未到场）资源方即自动确认；到开始时间仍未确认则失效。与 --wait 同用时等待结果",
    ),
    (
        "book|repeat",
        "重复规则（RRULE），如 'FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10'（DAILY、WEEKLY 或 MONTHLY；INTERVAL、BYDAY、BYMONTHDAY；COUNT 或 UNTIL）。每次都是一项独立的申请；冲突的日期在资源的 --max-conflicts 以内被跳过，否则整个系列被拒绝并列出冲突日期",
    ),
    (
        "book|until",
        "与 --repeat 同用：最后一天（代替规则中的 COUNT 或 UNTIL）",
    ),
    ("bookings|resource", "只看这项资源（标识、唯一前缀或名称）"),
    ("bookings|mine", "只看本单位的申请"),
    ("bookings|pending", "只看等待本单位审批的申请"),
    (
        "bookings|from",
        "只看此后结束的预订（日期指当天零点）；早于节点封存界限时，从磁盘读取已封存的预订",
    ),
    ("bookings|to", "只看此前开始的预订（日期包含当天）"),
    ("cancel|id", "预订标识"),
    (
        "checkin|id",
        "预订标识（本单位已确认的；开始前 30 分钟至结束之间）",
    ),
    (
        "hold create|resources",
        "资源，用逗号分隔（标识、唯一前缀或名称）",
    ),
    (
        "hold create|from",
        "开始（第一项资源所在时区的当地时间，或 RFC 3339）",
    ),
    ("hold create|to", "结束"),
    ("hold create|reason", "原因（告知每个被释放预约的申请单位）"),
    ("hold create|reason_en", "英文原因（如与中文不同）"),
    ("holds|mine", "只看本单位的占用"),
    (
        "bench|quotas",
        "仅 net：另测每个资源池都有配额时的网络吞吐量，并给出与无配额时之比",
    ),
    ("user add|name", "姓名（写入其所做的记录）"),
    (
        "user add|role",
        "staff（工作人员：预订、取消自己的预订）、approver（审批人：另可审批 --resources 所列资源）或 operator（管理员：全部操作）",
    ),
    (
        "user add|resources",
        "审批人审批的资源，用逗号分隔（标识、唯一前缀或名称）",
    ),
    (
        "user",
        "以本单位这名人员的身份操作（令牌在节点目录的 users/姓名.token，由 `tongchou user add` 生成）",
    ),
    ("cancel|occurrence", "周期预约：只取消这一天的那一次"),
    ("cancel|from_date", "周期预约：取消这一天起的各次"),
    ("cancel|series", "周期预约：取消全部各次"),
    ("decide|id", "预订标识"),
    ("decide|verdict", "approve（批准）或 reject（拒绝）"),
    ("decide|reason", "原因（拒绝时）"),
    ("slots|duration", "时长，如 2h、90m"),
    ("slots|from", "查找范围的开始"),
    ("slots|to", "查找范围的结束"),
    ("slots|city", "城市"),
    ("slots|feature", "必需的功能（可重复，中英文均可）"),
    ("demo|headless", "不打开终端界面，运行脚本场景并报告"),
    ("demo|keep", "保留临时节点目录"),
    (
        "demo|role",
        "终端界面以谁的身份打开：staff（预订）或 operator（审批）",
    ),
    (
        "bench|what",
        "测什么：net（本机回环上的节点）、scale（一个节点持有全省一年的数据）、trips（500 辆车的车队派车）、report（一年 5 万或 --full 20 万项预订的统计报表）、chaos（模拟器的混沌调度，跑大量种子）、interest（模拟器中按关注范围复制的全省网络，10 → 100，--full 到 1000 个机构）、soak（多个节点长时间稳定负载，中途 kill -9 一个）、flood（成员节点承受 300 个非成员对等方和 2 万个空闲 TCP 连接）、radicale（与 CalDAV 服务器对比）或 tui（渲染耗时）",
    ),
    (
        "bench|full",
        "完整规模（5 和 10 个节点、1,000 项预订、错过 10,000 和 100,000 项）",
    ),
    (
        "bench|throughput_only",
        "仅 net：只测写入一个节点的吞吐（供性能分析）",
    ),
    (
        "bench|catchup",
        "仅 net：改用这些追平规模（可重复，如 `--catchup 10000 --catchup 100000`）",
    ),
    (
        "bench|bookings",
        "仅 scale：持有的预订数（单位和资源数仍按规模）",
    ),
    (
        "bench|scale_role",
        "仅 scale：测量按关注持有数据的单个单位节点，在 2000 个单位的省内（不加 --full 为 200 个）：owner（资源最多的单位，3 万项资源中的 1000 项）或 follower（关注 20 个单位的成员）",
    ),
    (
        "bench|sealed",
        "仅 scale：一年的预订截至今天（而非从下月开始）；节点启动两次，第一次把早已结束的月份封存到磁盘，再量第二次载入",
    ),
    (
        "bench|by_message",
        "仅 interest：实时变更逐个对等节点发消息，即改用 gossipsub 主题之前的方式（默认运行的对照基线）",
    ),
    ("bench|seeds", "仅 chaos：跑多少个种子（默认 1000）"),
    ("bench|from_seed", "仅 chaos：第一个种子"),
    ("bench|nodes", "仅 soak：节点进程数（默认 10）"),
    (
        "bench|rate",
        "仅 soak：每秒预订数，分摊到各节点（默认 500）",
    ),
    ("bench|minutes", "仅 soak：负载持续分钟数（默认 10）"),
    ("bench|seconds", "仅 flood：冲击持续秒数（默认 60）"),
    ("backup|file", "要写入的备份文件（已存在时替换）"),
    ("restore|file", "要读取的备份文件"),
    (
        "ics|resource",
        "资源（标识、唯一前缀或名称）；不给出时为本单位的日历",
    ),
];

fn about(path: &str) -> Option<&'static str> {
    COMMANDS.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}

fn help(path: &str, id: &str) -> Option<&'static str> {
    let exact = format!("{path}|{id}");
    ARGS.iter()
        .find(|(k, _)| *k == exact)
        .or_else(|| ARGS.iter().find(|(k, _)| *k == id))
        .map(|(_, t)| *t)
}

/// `cmd` with Chinese about and help texts and headings, recursively.
pub(crate) fn translate(cmd: Command) -> Command {
    walk(cmd, "")
}

fn walk(mut cmd: Command, path: &str) -> Command {
    if let Some(t) = about(path) {
        cmd = cmd.about(t).long_about(None);
    }
    cmd = cmd
        .help_template("{about-with-newline}\n用法：{usage}\n\n{all-args}{after-help}")
        .subcommand_help_heading("命令")
        .subcommand_value_name("命令")
        // clap adds `-h` (and `-V`) with English help when it builds the
        // command: ours, in Chinese, instead.
        .disable_help_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("显示帮助")
                .help_heading("选项"),
        );
    if path.is_empty() {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("显示版本")
                .help_heading("选项"),
        );
    }
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    for id in ids {
        let text = help(path, &id);
        cmd = cmd.mut_arg(id.as_str(), |a| {
            let heading = if a.is_positional() {
                "参数"
            } else {
                "选项"
            };
            let a = a.help_heading(heading);
            match text {
                Some(t) => a.help(t).long_help(None),
                None => a,
            }
        });
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in subs {
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path} {name}")
        };
        cmd = cmd.mut_subcommand(name.as_str(), |s| walk(s, &sub_path));
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every command and option of the tree, with its path.
    fn tree(c: &Command, path: &str, out: &mut Vec<(String, Option<String>)>) {
        out.push((path.to_string(), None));
        for a in c.get_arguments() {
            out.push((path.to_string(), Some(a.get_id().to_string())));
        }
        for s in c.get_subcommands() {
            let p = if path.is_empty() {
                s.get_name().to_string()
            } else {
                format!("{path} {}", s.get_name())
            };
            tree(s, &p, out);
        }
    }

    #[test]
    fn every_command_and_option_has_its_chinese() {
        let mut cmd = crate::cli::Cli::command();
        cmd.build();
        let mut all = Vec::new();
        tree(&cmd, "", &mut all);
        let missing: Vec<String> = all
            .iter()
            // clap's generated `help` subcommands say what it says.
            .filter(|(p, _)| !p.split(' ').any(|c| c == "help"))
            .filter(|(p, id)| match id {
                None => about(p).is_none(),
                Some(id) => help(p, id).is_none(),
            })
            .map(|(p, id)| format!("{p}|{}", id.as_deref().unwrap_or("")))
            .collect();
        assert!(missing.is_empty(), "no Chinese for: {missing:?}");
    }

    #[test]
    fn help_reads_in_chinese() {
        let mut cmd = translate(crate::cli::Cli::command());
        let top = cmd.render_help().to_string();
        assert!(top.contains("用法") && top.contains("申请预订"), "{top}");
        let book = cmd
            .find_subcommand_mut("book")
            .expect("book")
            .render_help()
            .to_string();
        assert!(book.contains("用途") && book.contains("选项"), "{book}");
        assert!(!book.contains("Purpose"), "{book}");
    }
}
