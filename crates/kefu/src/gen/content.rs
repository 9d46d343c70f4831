//! The words of the generated tickets: what Chinese shoppers ask and how the shop's service staff answer,
//! per category. Templates carry placeholders filled per ticket: `{product}`, `{order}`, `{express}`,
//! `{tracking}`, `{amount}`, `{days}`, `{city}`, `{coupon}`.

use kefu_core::ticket::{
    ACCOUNT, AFTER_SALES, AFTER_SALES_EXCHANGE, AFTER_SALES_REFUND_ONLY, AFTER_SALES_REPAIR,
    AFTER_SALES_RETURN, COMPLAINT, LOGISTICS, MEMBER_BENEFITS, ORDER, PAYMENT, PRESALES, PRODUCT_QUALITY,
    SERVICE_PROCESS, SUGGESTION, TECHNICAL_SUPPORT,
};

/// What a shop sells; decides the products and which problems its customers have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShopKind {
    /// 数码: phones, earphones, laptops.
    Digital,
    /// 生鲜: fruit, meat, seafood (cold chain, no repairs).
    Fresh,
}

/// Which shops a scenario fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fits {
    Any,
    Digital,
    Fresh,
    NotFresh,
}

impl Fits {
    pub fn fits(self, kind: ShopKind) -> bool {
        match self {
            Fits::Any => true,
            Fits::Digital => kind == ShopKind::Digital,
            Fits::Fresh => kind == ShopKind::Fresh,
            Fits::NotFresh => kind != ShopKind::Fresh,
        }
    }
}

/// One kind of customer request: how it is worded, answered, noted and settled.
pub struct Scenario {
    pub category: &'static str,
    pub fits: Fits,
    /// Whether the request concerns an order (links an order number).
    pub order: bool,
    pub subjects: &'static [&'static str],
    /// The customer's first message.
    pub openings: &'static [&'static str],
    /// The customer's later messages.
    pub follow_ups: &'static [&'static str],
    /// Staff replies while the request is being handled.
    pub replies: &'static [&'static str],
    /// Internal notes.
    pub notes: &'static [&'static str],
    /// The reply that settles it.
    pub solutions: &'static [&'static str],
    pub tags: &'static [&'static str],
    /// The department a task goes to (a code of `kefu_core::org::DEFAULT_DEPARTMENTS`), with requests and
    /// answers.
    pub department: &'static str,
    pub task_requests: &'static [&'static str],
    pub task_answers: &'static [&'static str],
}

/// Category weights per shop kind: (code, digital, fresh).
pub const CATEGORY_WEIGHTS: [(&str, u32, u32); 16] = [
    (PRESALES, 14, 12),
    (ORDER, 11, 11),
    (LOGISTICS, 15, 20),
    (AFTER_SALES, 3, 3),
    (AFTER_SALES_RETURN, 9, 3),
    (AFTER_SALES_EXCHANGE, 5, 0),
    (AFTER_SALES_REFUND_ONLY, 4, 12),
    (AFTER_SALES_REPAIR, 5, 0),
    (COMPLAINT, 4, 5),
    (ACCOUNT, 3, 2),
    (PAYMENT, 5, 4),
    (PRODUCT_QUALITY, 7, 14),
    (TECHNICAL_SUPPORT, 8, 0),
    (MEMBER_BENEFITS, 3, 4),
    (SUGGESTION, 2, 2),
    (SERVICE_PROCESS, 1, 1),
];

/// Products with a price range in yuan.
pub const DIGITAL_PRODUCTS: [(&str, u32, u32); 12] = [
    ("小米14 Pro 手机 12+256G", 3999, 4999),
    ("华为 FreeBuds 5i 无线耳机", 449, 599),
    ("联想小新 Pro 16 笔记本电脑", 5299, 6499),
    ("65W 氮化镓快充充电器", 89, 149),
    ("iPad Air 磁吸保护壳", 59, 129),
    ("罗技 MX Keys 无线键盘", 599, 799),
    ("20000mAh 移动电源", 99, 199),
    ("华为 WATCH GT4 智能手表", 1288, 1688),
    ("27英寸 4K 显示器", 1599, 2299),
    ("JBL 蓝牙音箱", 399, 999),
    ("Type-C 扩展坞", 129, 299),
    ("索尼 WH-1000XM5 降噪耳机", 2199, 2699),
];

pub const FRESH_PRODUCTS: [(&str, u32, u32); 12] = [
    ("阳光玫瑰青提 2斤装", 39, 69),
    ("智利车厘子 JJ级 5斤", 199, 299),
    ("赣南脐橙 10斤装", 49, 79),
    ("澳洲谷饲牛排 1kg", 129, 199),
    ("舟山带鱼段 2kg", 89, 139),
    ("鲜活波士顿龙虾 2只", 259, 359),
    ("云南蓝莓 4盒装", 59, 99),
    ("五常大米 5kg", 69, 109),
    ("散养土鸡蛋 30枚", 39, 59),
    ("丹东99草莓 3斤", 89, 149),
    ("海南金钻凤梨 4个", 49, 79),
    ("内蒙古羔羊肉卷 2斤", 79, 119),
];

pub const EXPRESS: [&str; 8] =
    ["顺丰速运", "中通快递", "圆通速递", "韵达快递", "申通快递", "京东物流", "极兔速递", "邮政EMS"];

pub const CITIES: [&str; 12] = [
    "上海市浦东新区",
    "北京市朝阳区",
    "广州市天河区",
    "深圳市南山区",
    "杭州市西湖区",
    "成都市武侯区",
    "武汉市洪山区",
    "南京市鼓楼区",
    "西安市雁塔区",
    "重庆市渝北区",
    "苏州市工业园区",
    "长沙市岳麓区",
];

pub const COUPONS: [&str; 5] = ["满300减30", "满199减20", "88元无门槛", "会员95折", "新人立减15元"];

pub const SURNAMES: [&str; 30] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
    "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];

pub const GIVEN_NAMES: [&str; 40] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀英", "霞", "平", "刚", "桂英", "晓东", "子涵", "雨桐", "浩然", "欣怡", "梓萱", "宇轩", "思远", "佳怡",
    "俊杰", "婷婷", "志强", "海燕", "建国", "丹丹", "文博", "一鸣", "诗涵",
];

/// Customer messages that fit any request.
pub const CUSTOMER_GENERIC: [&str; 14] = [
    "好的，那我再等等。",
    "请问大概还要多久？",
    "麻烦快点处理，谢谢。",
    "我已经按你说的操作了，你看一下。",
    "图片已经发了，你们看下。",
    "能不能给个准话？",
    "行，那就按这个方案来吧。",
    "我等了好几天了，还没有结果。",
    "好的，辛苦了。",
    "明白了，谢谢你。",
    "在吗？怎么没人回复？",
    "还有别的办法吗？",
    "这个我不太懂，能再说一下吗？",
    "那我这边需要做什么？",
];

/// Customer messages while a ticket is still new and nobody has answered.
pub const CUSTOMER_NUDGES: [&str; 6] = [
    "在吗？",
    "有人吗？麻烦回复一下。",
    "怎么还没人处理？",
    "客服在不在，急！",
    "留言半天了没人理。",
    "请尽快回复，谢谢。",
];

/// The customer confirming the solution.
pub const CUSTOMER_THANKS: [&str; 6] = [
    "收到了，问题解决了，谢谢！",
    "好的，没问题了，辛苦了。",
    "可以了，谢谢客服。",
    "已经好了，给你们点个赞。",
    "行，没别的问题了。",
    "谢谢，处理得挺快的。",
];

/// The customer coming back after the ticket was resolved.
pub const CUSTOMER_REOPEN: [&str; 5] = [
    "不好意思，问题又出现了。",
    "说好的处理了，可是到现在还没有结果。",
    "我又看了一下，还是不对。",
    "退款到现在还没到账，怎么回事？",
    "刚才又试了一次，还是不行。",
];

/// Staff replies that fit any request.
pub const STAFF_GENERIC: [&str; 10] = [
    "亲，您好，这边已经收到您的反馈，正在为您核实，请稍等。",
    "亲，让您久等了，这边帮您查询了一下。",
    "非常抱歉给您带来不便，我们会尽快为您处理。",
    "亲，麻烦您提供一下订单号和相关照片，方便我们核实。",
    "亲，已为您加急处理，有进展第一时间通知您。",
    "好的亲，您的问题已经记录，请耐心等待。",
    "亲，还有其他可以帮您的吗？",
    "收到，亲，这边正在跟进，请您放心。",
    "亲，已经帮您备注了，稍后会有专人联系您。",
    "理解您的心情，我们一定给您一个满意的答复。",
];

/// Staff answering a customer who came back after the ticket was resolved.
pub const STAFF_REOPEN_REPLIES: [&str; 3] = [
    "非常抱歉，亲，这边重新为您跟进，今天内给您答复。",
    "亲，已经再次为您核实，问题已重新提交处理。",
    "抱歉让您再次联系我们，这边马上为您处理。",
];

/// Internal notes of any ticket.
pub const NOTES_GENERIC: [&str; 8] = [
    "客户情绪比较急，注意安抚。",
    "已与客户电话确认，客户同意处理方案。",
    "老客户，历史订单较多，优先处理。",
    "客户要求书面答复，回复时注意措辞。",
    "已在ERP中备注订单{order}。",
    "交接：客户下午三点后方便接电话。",
    "同类问题本周第三起，已反馈给主管。",
    "客户有差评倾向，注意沟通方式。",
];

/// The call summary of a phone ticket.
pub const PHONE_NOTES: [&str; 4] = [
    "来电记录：{opening}",
    "客户来电，诉求如下：{opening}",
    "热线来电（通话约5分钟）：{opening}",
    "电话回访时客户反馈：{opening}",
];

pub const TRANSFER_REASONS: [&str; 5] = [
    "售后问题，转售后组跟进",
    "客户要求主管处理",
    "交接班，转派给当班同事",
    "涉及退款审核，转专人处理",
    "该商品由对应组负责，转组处理",
];

pub const ESCALATION_REASONS: [&str; 4] = [
    "客户情绪激动，要求升级处理",
    "超过48小时未解决，按时效规则升级",
    "涉及金额较大，需主管审批",
    "客户表示要投诉到12315，升级至经理处理",
];

pub static SCENARIOS: &[Scenario] = &[
    Scenario {
        category: PRESALES,
        fits: Fits::Any,
        order: false,
        subjects: &[
            "{product}现在有货吗",
            "咨询{product}的尺寸和规格",
            "{product}和上一代有什么区别",
            "{product}能便宜点吗",
            "想买{product}，什么时候能发货",
        ],
        openings: &[
            "你好，请问{product}现在有现货吗？今天下单什么时候能发？",
            "在吗？想问下{product}的具体规格，页面上写得不太清楚。",
            "{product}现在多少钱？有没有优惠券可以用？",
            "我想买两件{product}送人，能不能便宜一点？",
            "请问{product}发{city}几天能到？",
        ],
        follow_ups: &[
            "那现在下单是不是参加{coupon}的活动？",
            "能开发票吗？要公司抬头的。",
            "有没有赠品？",
            "好的，那我先下单了。",
        ],
        replies: &[
            "亲，{product}目前有现货的哦，今天16点前付款当天发货。",
            "亲，这款现在可以领{coupon}的券，下单时自动抵扣。",
            "亲，发{city}一般2-3天送达，顺丰可以次日达。",
            "亲，两款的区别主要在配置和续航，详情页第三屏有对比图哦。",
        ],
        notes: &["客户询价，已推荐店铺优惠券。", "潜在大客户，询问批量采购。"],
        solutions: &[
            "亲，已为您解答，喜欢的话可以直接下单哦，有问题随时找我们。",
            "亲，优惠已经给您备注了，下单后我们优先安排发货。",
        ],
        tags: &["库存咨询", "价格咨询", "尺码咨询"],
        department: "operations",
        task_requests: &["客户询问批量采购{product}的价格，请运营部给一个报价。"],
        task_answers: &["运营部回复：10件以上可以给到九折，已发报价单。"],
    },
    Scenario {
        category: ORDER,
        fits: Fits::Any,
        order: true,
        subjects: &[
            "订单{order}要修改收货地址",
            "拍错了，想取消订单{order}",
            "订单{order}申请开发票",
            "订单{order}能不能合并发货",
            "下单后想换个颜色",
        ],
        openings: &[
            "你好，订单{order}的地址填错了，要改成{city}幸福路88号，还来得及吗？",
            "我拍错了规格，订单{order}帮我取消一下吧，钱原路退回。",
            "订单{order}需要开增值税普通发票，抬头和税号我发给你。",
            "我昨天下了两单，能不能合并成一个包裹发？订单号{order}。",
            "刚下单的{product}想换个颜色，订单{order}还没发货吧？",
        ],
        follow_ups: &["地址改好了吗？", "发票什么时候能开出来？", "那取消后多久退款？"],
        replies: &[
            "亲，订单{order}还没有出库，地址已经帮您修改好了。",
            "亲，订单已为您取消，款项会在1-3个工作日原路退回。",
            "亲，发票会在确认收货后7天内开具，开好会发到您的邮箱。",
            "亲，仓库已经打包了，这边尝试帮您拦截一下。",
        ],
        notes: &["已联系仓库拦截订单{order}。", "发票信息已录入财务系统。"],
        solutions: &[
            "亲，订单{order}已经按您的要求处理完成了，请留意物流信息。",
            "亲，发票已开具并发送到您的邮箱，请查收。",
        ],
        tags: &["改地址", "取消订单", "发票"],
        department: "finance",
        task_requests: &["客户订单{order}需开具增值税发票，请财务部协助开票。"],
        task_answers: &["财务部回复：发票已开具，电子票已发送客户邮箱。"],
    },
    Scenario {
        category: LOGISTICS,
        fits: Fits::Any,
        order: true,
        subjects: &[
            "快递显示已签收但没收到货",
            "订单{order}物流好几天没更新",
            "催发货，下单{days}天了还没发",
            "快递送错地址了",
            "包裹外箱破了，里面东西少了",
        ],
        openings: &[
            "快递显示已签收，但是我根本没收到货！{express}单号{tracking}，麻烦查一下。",
            "订单{order}的物流{days}天没有更新了，一直停在中转站，怎么回事？",
            "我下单{days}天了还没发货，你们到底什么时候发？",
            "{express}的快递员说送到了，可我家门口什么都没有，快递还没收到。",
            "收到的包裹外箱破了，{product}少了一件，快递单号{tracking}。",
        ],
        follow_ups: &[
            "快递到底到哪了？",
            "我问了快递员，他说不是他送的。",
            "还是没收到，能不能直接给我补发？",
            "物流还是没动，你们催一下快递吧。",
        ],
        replies: &[
            "亲，已经帮您联系{express}核实，包裹在{city}网点，预计明天派送。",
            "亲，非常抱歉，这边已经给快递公司提交了催件工单。",
            "亲，仓库这两天单量比较大，您的订单今天会优先发出。",
            "亲，麻烦您先问一下家人、门卫或快递柜，看看是否被代收了。",
        ],
        notes: &[
            "已在{express}后台提交丢件查询，单号{tracking}。",
            "快递网点反馈派件员误投，正在找回。",
            "超区件，需转{express}其他网点派送。",
        ],
        solutions: &[
            "亲，包裹已经找到，快递员今天会重新给您派送。",
            "亲，已为您安排补发，新的快递单号会短信通知您。",
            "亲，丢件已确认，货款已为您全额退款。",
        ],
        tags: &["物流异常", "催发货", "丢件", "已签收未收到"],
        department: "logistics",
        task_requests: &[
            "请物流部协助核实{express}运单{tracking}的派送情况，客户称未收到货。",
            "订单{order}物流停滞{days}天，请物流部联系快递公司催件。",
        ],
        task_answers: &[
            "物流部回复：已联系{express}网点，包裹已找回，今日重新派送。",
            "物流部回复：确认丢件，已发起快递理赔，可先给客户补发。",
        ],
    },
    Scenario {
        category: AFTER_SALES,
        fits: Fits::Any,
        order: true,
        subjects: &["申请售后", "订单{order}申请退款", "买的{product}想申请售后"],
        openings: &[
            "你好，订单{order}的{product}我不想要了，怎么申请退款？",
            "我要申请售后，{product}用着不满意。",
            "七天无理由退换可以吗？订单{order}。",
        ],
        follow_ups: &["退款什么时候到账？", "需要我寄回去吗？运费谁出？"],
        replies: &[
            "亲，您可以在订单详情页点击“申请售后”，选择退货退款或仅退款。",
            "亲，商品支持七天无理由，退回运费由您承担，质量问题由我们承担。",
        ],
        notes: &["客户售后诉求不明确，先确认是退货还是仅退款。"],
        solutions: &["亲，售后申请已经通过，退款{amount}元会在1-3个工作日原路退回。"],
        tags: &["退款", "七天无理由"],
        department: "finance",
        task_requests: &["订单{order}退款{amount}元，请财务部审核。"],
        task_answers: &["财务部回复：退款已审核通过，已原路退回。"],
    },
    Scenario {
        category: AFTER_SALES_RETURN,
        fits: Fits::Any,
        order: true,
        subjects: &["{product}申请退货退款", "订单{order}退货寄回后一直没退款", "退货地址是哪里"],
        openings: &[
            "{product}收到后不太满意，想退货退款，订单{order}。",
            "我退货已经寄回去{days}天了，单号{tracking}，退款怎么还没到？",
            "要退货，请问退货地址是哪里？要不要填退货单？",
        ],
        follow_ups: &["我已经寄回了，{express}单号{tracking}。", "仓库签收了吗？什么时候退款？"],
        replies: &[
            "亲，退货申请已同意，请按页面上的退货地址寄回，记得填写退货单号。",
            "亲，仓库收到退货后会在48小时内验货，验货通过马上退款。",
            "亲，已经帮您催仓库验货了。",
        ],
        notes: &["退货已签收，等待仓库验货。", "退回商品包装完好，可以二次销售。"],
        solutions: &[
            "亲，退货已验收，退款{amount}元已原路退回，请注意查收。",
            "亲，退款已经处理完成，1-3个工作日到账。",
        ],
        tags: &["退货", "退款"],
        department: "finance",
        task_requests: &["退货已入库，订单{order}，请财务部退款{amount}元。"],
        task_answers: &["财务部回复：退款{amount}元已原路退回。"],
    },
    Scenario {
        category: AFTER_SALES_EXCHANGE,
        fits: Fits::NotFresh,
        order: true,
        subjects: &["{product}想换货", "尺码不合适能换一个吗", "收到的颜色不对，要求调换"],
        openings: &[
            "{product}尺码买小了，能换一个大一号的吗？订单{order}。",
            "收到的颜色和我下单的不一样，要求换货。",
            "{product}有点小问题，能不能直接换个新的？",
        ],
        follow_ups: &["换货要多久能到？", "我寄回去了，新的什么时候发？"],
        replies: &[
            "亲，换货申请已通过，请把商品寄回，我们收到后48小时内发出新的。",
            "亲，非常抱歉发错了颜色，来回运费由我们承担。",
        ],
        notes: &["换货商品库存已锁定。"],
        solutions: &["亲，新的{product}已经发出，{express}单号{tracking}，请注意查收。"],
        tags: &["换货", "发错货"],
        department: "logistics",
        task_requests: &["订单{order}换货，请物流部安排新品发出并回收旧品。"],
        task_answers: &["物流部回复：新品已发出，旧品上门取件已预约。"],
    },
    Scenario {
        category: AFTER_SALES_REFUND_ONLY,
        fits: Fits::Any,
        order: true,
        subjects: &["收到坏果申请仅退款", "少发了商品，申请退款", "商品没收到申请仅退款"],
        openings: &[
            "收到的{product}有好几个坏了，拍了照片，申请仅退款。",
            "订单{order}少发了一件，申请退款{amount}元。",
            "包裹一直没收到，我要申请仅退款，不要了。",
        ],
        follow_ups: &["照片已经上传了。", "退多少钱？能全退吗？"],
        replies: &[
            "亲，看了您的照片，确实有损坏，这边给您申请部分退款可以吗？",
            "亲，仅退款申请已提交，审核通过后原路退回。",
        ],
        notes: &["坏果比例约三成，按比例退款。", "客户历史退款率正常。"],
        solutions: &["亲，已为您退款{amount}元，1-3个工作日到账，给您带来不便非常抱歉。"],
        tags: &["仅退款", "坏果", "少发"],
        department: "finance",
        task_requests: &["订单{order}仅退款{amount}元，请财务部审核。"],
        task_answers: &["财务部回复：仅退款已审核通过。"],
    },
    Scenario {
        category: AFTER_SALES_REPAIR,
        fits: Fits::NotFresh,
        order: true,
        subjects: &["{product}坏了申请保修", "买了{days}个月的{product}需要维修", "返修进度查询"],
        openings: &[
            "{product}用了不到半年就坏了，还在保修期内吧？怎么申请维修？",
            "{product}充不进电了，要返修，订单{order}。",
            "我上周寄修的{product}现在修到哪一步了？",
        ],
        follow_ups: &["维修要收费吗？", "修好了能寄回来了吗？"],
        replies: &[
            "亲，在保修期内免费维修，请寄到售后维修中心，我们承担寄回运费。",
            "亲，维修中心已经收到您的{product}，正在检测。",
        ],
        notes: &["维修单已创建，检测结果待出。", "非人为损坏，符合三包。"],
        solutions: &["亲，{product}已维修完成并寄回，{express}单号{tracking}。"],
        tags: &["维修", "三包"],
        department: "product",
        task_requests: &["客户{product}故障返修，请产品部安排检测，订单{order}。"],
        task_answers: &["产品部回复：主板故障，已免费更换，今日寄回。"],
    },
    Scenario {
        category: COMPLAINT,
        fits: Fits::Any,
        order: true,
        subjects: &[
            "投诉：客服态度差",
            "投诉商家虚假宣传",
            "再不处理就投诉到12315",
            "投诉：退款拖了{days}天",
        ],
        openings: &[
            "我要投诉！之前的客服态度非常差，问题一直没解决。",
            "商品描述和实物完全不符，属于虚假宣传，我要投诉。",
            "退款拖了{days}天了，再不处理我就去12315投诉你们。",
            "你们这样处理问题我不接受，要求主管出来给个说法。",
        ],
        follow_ups: &["我要的是解决方案，不是道歉。", "今天之内必须给我答复。", "那赔偿怎么算？"],
        replies: &[
            "非常抱歉给您带来不好的体验，您的投诉我们已经登记，主管会亲自跟进。",
            "亲，这边已经核实了情况，确实是我们的问题，向您郑重道歉。",
            "亲，我们的主管会在24小时内联系您，给您一个满意的处理方案。",
        ],
        notes: &["投诉已登记，需在24小时内回访。", "客户威胁差评和12315投诉，已报主管。"],
        solutions: &[
            "亲，经协商，给您退款{amount}元并补偿{coupon}优惠券，再次向您致歉。",
            "亲，已按您的要求处理完毕，感谢您的监督，我们会改进服务。",
        ],
        tags: &["投诉", "差评风险", "12315"],
        department: "legal",
        task_requests: &["客户投诉虚假宣传，订单{order}，请法务部评估赔偿方案。"],
        task_answers: &["法务部回复：建议退一赔三，已与商品部门确认。"],
    },
    Scenario {
        category: ACCOUNT,
        fits: Fits::Any,
        order: false,
        subjects: &["账号登录不上", "收不到验证码", "换了手机号，怎么绑定新手机", "申请注销账号"],
        openings: &[
            "我的账号登录不上去，一直提示密码错误，可是密码没错啊。",
            "注册的时候一直收不到验证码，试了好几次了。",
            "以前的手机号不用了，怎么绑定新的手机号？",
            "我想注销账号，怎么操作？",
        ],
        follow_ups: &["还是收不到验证码。", "按你说的操作了，可以登录了。"],
        replies: &[
            "亲，您可以点击“忘记密码”，通过绑定手机重置密码。",
            "亲，验证码可能被拦截了，请检查短信拦截设置，或者稍后再试。",
            "亲，更换绑定手机需要验证身份，请按页面提示上传证件信息。",
        ],
        notes: &["已核实账号实名信息，账号本人操作。"],
        solutions: &["亲，账号已经恢复正常，建议您开启登录保护。"],
        tags: &["账号安全", "验证码"],
        department: "technical",
        task_requests: &["客户账号收不到验证码，请技术部排查短信通道。"],
        task_answers: &["技术部回复：短信通道已恢复，客户可以重新获取验证码。"],
    },
    Scenario {
        category: PAYMENT,
        fits: Fits::Any,
        order: true,
        subjects: &["付款时扣了两次钱", "支付失败但是钱扣了", "花呗分期付款问题", "订单{order}付款不成功"],
        openings: &[
            "我付款的时候被扣了两次钱，订单{order}，{amount}元扣了两次！",
            "支付显示失败，但是银行卡已经扣款了，怎么回事？",
            "想用花呗分期付款，为什么选不了？",
            "订单{order}付款一直不成功，提示银行卡异常。",
        ],
        follow_ups: &["重复扣的钱什么时候退回来？", "银行说钱已经扣了。"],
        replies: &[
            "亲，重复支付的款项系统会自动原路退回，一般1-3个工作日到账。",
            "亲，支付失败的款项会由银行退回，请留意银行卡到账信息。",
            "亲，这款商品暂不支持分期，部分活动商品才可以使用花呗分期。",
        ],
        notes: &["已在支付后台查到重复扣款记录。"],
        solutions: &["亲，重复扣款{amount}元已退回您的支付账户，请查收。"],
        tags: &["重复扣款", "支付异常"],
        department: "finance",
        task_requests: &["客户订单{order}重复扣款{amount}元，请财务部核对并退回。"],
        task_answers: &["财务部回复：已核实重复扣款，已退回。"],
    },
    Scenario {
        category: PRODUCT_QUALITY,
        fits: Fits::Digital,
        order: true,
        subjects: &[
            "{product}屏幕有坏点",
            "新买的{product}用了两天就死机",
            "{product}有明显划痕",
            "怀疑收到的是翻新机",
        ],
        openings: &[
            "新买的{product}屏幕有一个坏点，很明显，这是质量问题吧？",
            "{product}用了两天就频繁死机重启，质量太差了。",
            "收到的{product}外壳有划痕，像是被用过的。",
            "我怀疑收到的{product}是翻新机，包装也不对。",
        ],
        follow_ups: &["视频已经录好发给你了。", "这种质量问题应该给我换新的吧？"],
        replies: &[
            "亲，麻烦您拍一段视频给我们，方便判断问题。",
            "亲，我们所有商品都是全新正品，可以提供进货凭证，这边帮您申请检测。",
        ],
        notes: &["同批次已有多起屏幕问题反馈，已报产品部。"],
        solutions: &["亲，确认为质量问题，已为您办理换新，新机今天发出。"],
        tags: &["质量问题", "瑕疵"],
        department: "product",
        task_requests: &["{product}疑似批次质量问题，请产品部核查，订单{order}。"],
        task_answers: &["产品部回复：该批次已下架检测，客户可直接换新。"],
    },
    Scenario {
        category: PRODUCT_QUALITY,
        fits: Fits::Fresh,
        order: true,
        subjects: &["收到的{product}有变质", "{product}不新鲜，有异味", "冷链包装破损，冰袋都化了"],
        openings: &[
            "收到的{product}已经变质了，打开就有一股异味。",
            "{product}一点都不新鲜，和图片上差太多了。",
            "冷链包装破了，冰袋全化了，{product}都是软的。",
        ],
        follow_ups: &["照片发你了，你看看这能吃吗？", "这么热的天送了{days}天，肯定坏了。"],
        replies: &[
            "亲，非常抱歉，麻烦您拍几张照片给我们，我们马上处理。",
            "亲，生鲜商品收到后请尽快冷藏，这边帮您核实一下物流时效。",
        ],
        notes: &["冷链运输超时，物流原因导致变质。"],
        solutions: &["亲，已为您全额退款{amount}元，变质的商品不用寄回，请直接处理掉。"],
        tags: &["质量问题", "变质", "冷链"],
        department: "logistics",
        task_requests: &["生鲜订单{order}运输超时导致变质，请物流部向{express}发起理赔。"],
        task_answers: &["物流部回复：理赔已受理，运费和货损由快递承担。"],
    },
    Scenario {
        category: TECHNICAL_SUPPORT,
        fits: Fits::Digital,
        order: false,
        subjects: &["{product}连不上蓝牙", "{product}怎么用", "App一打开就闪退", "{product}固件升级失败"],
        openings: &[
            "{product}一直连不上手机蓝牙，重启了也不行。",
            "刚买的{product}，说明书看不懂，请问怎么设置？",
            "你们的App一打开就闪退，华为手机。",
            "{product}升级固件到一半失败了，现在开不了机。",
        ],
        follow_ups: &["还是连不上。", "按步骤操作了，好了！", "恢复出厂设置也没用。"],
        replies: &[
            "亲，请先在手机蓝牙设置里删除旧的配对记录，再长按电源键5秒进入配对模式。",
            "亲，使用方法的视频教程已经发您了，按照视频操作就可以。",
            "亲，请把App更新到最新版本，或者清除缓存后重试。",
        ],
        notes: &["已升级给技术支持二线。"],
        solutions: &["亲，问题已经解决，以后有使用上的问题随时找我们。"],
        tags: &["使用问题", "闪退", "连接问题"],
        department: "technical",
        task_requests: &["{product}固件升级失败无法开机，请技术部提供刷机方案。"],
        task_answers: &["技术部回复：已提供强制刷机步骤，指导客户恢复。"],
    },
    Scenario {
        category: MEMBER_BENEFITS,
        fits: Fits::Any,
        order: false,
        subjects: &["会员积分没到账", "优惠券用不了", "会员等级怎么升级", "生日礼包没收到"],
        openings: &[
            "我上个月买了那么多，会员积分怎么没到账？",
            "领的{coupon}优惠券下单时用不了，提示不满足条件。",
            "请问怎么升级成金卡会员？有什么权益？",
            "会员生日礼包说好的，怎么没收到？",
        ],
        follow_ups: &["积分现在到了吗？", "那这个券什么时候过期？"],
        replies: &[
            "亲，积分在确认收货7天后发放，您的订单还在售后期哦。",
            "亲，{coupon}的券仅限指定商品使用，详情请看券的使用说明。",
            "亲，年消费满2000元自动升级金卡会员，享受包邮和专属客服。",
        ],
        notes: &["客户为老会员，补发积分已申请。"],
        solutions: &["亲，积分已经为您补发到账，感谢您的支持。"],
        tags: &["会员", "积分", "优惠券"],
        department: "operations",
        task_requests: &["客户积分未到账，请运营部核查会员系统并补发。"],
        task_answers: &["运营部回复：积分已补发。"],
    },
    Scenario {
        category: SUGGESTION,
        fits: Fits::Any,
        order: false,
        subjects: &["建议增加开发票的选项", "希望能支持货到付款", "对包装的一点意见"],
        openings: &[
            "建议你们下单页面增加开发票的选项，每次都要找客服太麻烦了。",
            "希望能支持货到付款，家里老人不会用手机支付。",
            "你们的包装太浪费了，建议用环保一点的材料。",
        ],
        follow_ups: &["好的，希望能尽快改进。"],
        replies: &["亲，感谢您的宝贵建议，我们已经记录并反馈给相关部门。"],
        notes: &["建议已汇总到本月客户反馈报表。"],
        solutions: &["亲，您的建议已经提交，感谢您对我们的支持！"],
        tags: &["功能建议", "意见反馈"],
        department: "operations",
        task_requests: &["客户建议：{opening}请运营部评估。"],
        task_answers: &["运营部回复：建议已纳入下季度优化计划。"],
    },
    Scenario {
        category: SERVICE_PROCESS,
        fits: Fits::Any,
        order: false,
        subjects: &["客服一直没人回复", "问题被转来转去没人管", "等了很久没人接电话"],
        openings: &[
            "我发了好几条消息，客服一直没人回复。",
            "同一个问题问了三个客服，转来转去没有一个人能解决。",
            "打电话等了很久都没人接，你们客服到底有没有人？",
        ],
        follow_ups: &["这次能不能一次说清楚？"],
        replies: &["非常抱歉让您久等，这个问题由我全程负责跟进到底。"],
        notes: &["首问负责：由本人跟进到结束。"],
        solutions: &["亲，您的问题已经处理完毕，再次为之前的等待向您道歉。"],
        tags: &["服务体验"],
        department: "operations",
        task_requests: &["客户反馈客服响应慢，请运营部排查排班。"],
        task_answers: &["运营部回复：已调整高峰时段排班。"],
    },
];
