//! CSV order import (订单导入): the first load of a merchant's orders from a shop backend's export, before
//! the shop system pushes changes. One row per order item; rows of one order share its number and carry
//! the order's fields again (the first row's are taken, a later row that contradicts them is an error).
//!
//! Columns are found by their header, in English or as Chinese shop backends name them:
//!
//! | column | also | required |
//! |---|---|---|
//! | `order_no` | 订单号, 订单编号 | yes |
//! | `account_id` | 买家账号, 会员账号 | yes |
//! | `customer_name` | 买家姓名, 收货人 | |
//! | `status` | 订单状态 (待付款 待发货 已发货 已签收 已完成 已取消 已关闭, or the English codes) | yes |
//! | `ordered_at` | 下单时间 | yes |
//! | `paid_at`, `shipped_at`, `signed_at` | 付款时间, 发货时间, 签收时间 | |
//! | `paid` | 实付金额 (元; the sum of the items when left empty) | |
//! | `payment_method`, `shipping_company`, `waybill` | 支付方式, 物流公司, 运单号 | |
//! | `sku` | 商品编码 | yes |
//! | `item_name` | 商品名称 | yes |
//! | `category` | 类目, 商品类目 | |
//! | `quantity` | 数量 | yes |
//! | `price` | 单价 (元) | yes |
//! | `flags` | 标记: 定制 生鲜 数字 报刊 预售 不退 (or customised perishable digital_unsealed periodical presale confirmed_non_returnable), separated by `|`, `、`, `,` or spaces | |
//!
//! Times are RFC 3339 or `YYYY-MM-DD HH:MM[:SS]` in China time; amounts are 元 with at most two decimals,
//! converted to fen exactly. The file may be UTF-8 (with or without BOM) or GB18030/GBK, as Excel saves it.
//! Every row is checked before anything is written; an error names the row (1 = the first data row) and
//! the column.

use kefu_core::aftersales::eligibility::ItemFlags;
use kefu_core::money::parse_yuan;
use kefu_core::order::{OrderCustomer, OrderItem, OrderPush, OrderStatus};
use kefu_core::time::Millis;
use kefu_core::DomainError;
use std::collections::HashMap;

/// The most data rows one import takes.
pub const MAX_ROWS: usize = 50_000;

const COLUMNS: &[(&str, &[&str])] = &[
    ("order_no", &["订单号", "订单编号"]),
    ("account_id", &["买家账号", "会员账号"]),
    ("customer_name", &["买家姓名", "收货人"]),
    ("status", &["订单状态"]),
    ("ordered_at", &["下单时间"]),
    ("paid_at", &["付款时间"]),
    ("shipped_at", &["发货时间"]),
    ("signed_at", &["签收时间"]),
    ("paid", &["实付金额"]),
    ("payment_method", &["支付方式"]),
    ("shipping_company", &["物流公司"]),
    ("waybill", &["运单号"]),
    ("sku", &["商品编码"]),
    ("item_name", &["商品名称"]),
    ("category", &["类目", "商品类目"]),
    ("quantity", &["数量"]),
    ("price", &["单价"]),
    ("flags", &["标记"]),
];

const REQUIRED: &[&str] =
    &["order_no", "account_id", "status", "ordered_at", "sku", "item_name", "quantity", "price"];

/// Text of the file: UTF-8 (a BOM dropped), else GB18030 (which covers GBK and GB2312).
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

fn err(row: usize, column: &str, message: impl Into<String>) -> DomainError {
    DomainError::validation(
        &format!("rows[{row}].{column}"),
        format!("row {row}, {column}: {}", message.into()),
    )
}

/// RFC 3339, or `YYYY-MM-DD HH:MM[:SS]` (also with `/`) in China time (UTC+8).
pub fn parse_time(s: &str) -> Option<Millis> {
    let s = s.trim();
    if let Some(m) = Millis::parse_rfc3339(s) {
        return Some(m);
    }
    let s = s.replace('/', "-");
    let s = if s.len() == 16 { format!("{s}:00") } else { s };
    let dt: jiff::civil::DateTime = s.replace(' ', "T").parse().ok()?;
    let ts = dt.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8))).ok()?.timestamp();
    Some(Millis(ts.as_millisecond()))
}

fn status(s: &str) -> Option<OrderStatus> {
    Some(match s.trim() {
        "待付款" => OrderStatus::PendingPayment,
        "待发货" | "已付款" => OrderStatus::Paid,
        "已发货" | "待收货" => OrderStatus::Shipped,
        "已签收" => OrderStatus::Signed,
        "已完成" | "交易成功" => OrderStatus::Completed,
        "已取消" => OrderStatus::Cancelled,
        "已关闭" | "交易关闭" => OrderStatus::Closed,
        other => OrderStatus::parse(other).ok()?,
    })
}

fn flags(s: &str) -> Result<ItemFlags, String> {
    let mut f = ItemFlags::default();
    for part in s.split(['|', '、', ',', '，', ' ']).map(str::trim).filter(|p| !p.is_empty()) {
        match part {
            "定制" | "customised" => f.customised = true,
            "生鲜" | "鲜活易腐" | "perishable" => f.perishable = true,
            "数字" | "已拆封" | "digital_unsealed" => f.digital_unsealed = true,
            "报刊" | "periodical" => f.periodical = true,
            "预售" | "presale" => f.presale = true,
            "不退" | "不宜退货" | "confirmed_non_returnable" => f.confirmed_non_returnable = true,
            other => return Err(format!("unknown flag '{other}'")),
        }
    }
    Ok(f)
}

/// What an import read: the orders in file order and how many item rows.
#[derive(Debug)]
pub struct Parsed {
    pub orders: Vec<OrderPush>,
    pub rows: usize,
}

/// Parse and check a whole CSV file. An order's `updated_at` is its latest time in the file, so importing
/// the same file again changes nothing and never overrides a newer state the shop pushed since.
pub fn parse(text: &str) -> Result<Parsed, DomainError> {
    let mut rdr = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| DomainError::validation("file", format!("the header row cannot be read: {e}")))?
        .clone();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some((name, _)) = COLUMNS.iter().find(|(n, aliases)| *n == h || aliases.contains(&h)) {
            index.insert(name, i);
        }
    }
    for r in REQUIRED {
        if !index.contains_key(r) {
            return Err(DomainError::validation("file", format!("the header row lacks the column {r}")));
        }
    }
    let mut orders: Vec<OrderPush> = Vec::new();
    let mut by_no: HashMap<String, usize> = HashMap::new();
    // Per order: its paid amount as given (None: the sum of the items).
    let mut paid_given: Vec<Option<i64>> = Vec::new();
    // Per order: the row it starts on (errors of the order as a whole name it).
    let mut first_row: Vec<usize> = Vec::new();
    let mut rows = 0;
    for (n, rec) in rdr.records().enumerate() {
        let row = n + 1;
        if row > MAX_ROWS {
            return Err(DomainError::validation("file", format!("an import takes at most {MAX_ROWS} rows")));
        }
        let rec =
            rec.map_err(|e| DomainError::validation(&format!("rows[{row}]"), format!("row {row}: {e}")))?;
        rows += 1;
        let get = |c: &str| index.get(c).and_then(|i| rec.get(*i)).map(str::trim).unwrap_or("");
        let opt = |c: &str| Some(get(c)).filter(|v| !v.is_empty()).map(str::to_string);
        let time = |c: &str| -> Result<Option<Millis>, DomainError> {
            match get(c) {
                "" => Ok(None),
                v => parse_time(v)
                    .map(Some)
                    .ok_or_else(|| err(row, c, format!("'{v}' is not a time (YYYY-MM-DD HH:MM:SS)"))),
            }
        };
        let qty: i64 = get("quantity").parse().map_err(|_| err(row, "quantity", "must be a whole number"))?;
        let price = parse_yuan(get("price"))
            .ok_or_else(|| err(row, "price", "must be an amount in 元 with at most two decimals"))?;
        let item = OrderItem {
            sku: get("sku").to_string(),
            name: get("item_name").to_string(),
            category: opt("category"),
            quantity: qty,
            price_fen: price,
            flags: flags(get("flags")).map_err(|m| err(row, "flags", m))?,
        };
        let order_no = get("order_no").to_string();
        let st = status(get("status"))
            .ok_or_else(|| err(row, "status", format!("unknown order status '{}'", get("status"))))?;
        let ordered_at = time("ordered_at")?.ok_or_else(|| err(row, "ordered_at", "is required"))?;
        let (paid_at, shipped_at, signed_at) = (time("paid_at")?, time("shipped_at")?, time("signed_at")?);
        let paid = match get("paid") {
            "" => None,
            v => Some(
                parse_yuan(v)
                    .ok_or_else(|| err(row, "paid", "must be an amount in 元 with at most two decimals"))?,
            ),
        };
        let updated_at = [paid_at, shipped_at, signed_at].into_iter().flatten().fold(ordered_at, Millis::max);
        let candidate = OrderPush {
            order_no: order_no.clone(),
            customer: OrderCustomer { account_id: get("account_id").to_string(), name: opt("customer_name") },
            status: st,
            items: vec![],
            total_fen: 0,
            paid_fen: 0,
            payment_method: opt("payment_method"),
            shipping_company: opt("shipping_company"),
            waybill: opt("waybill"),
            ordered_at,
            paid_at,
            shipped_at,
            signed_at,
            updated_at,
        };
        match by_no.get(&order_no) {
            Some(&i) => {
                let o = &orders[i];
                let same = o.customer == candidate.customer
                    && o.status == candidate.status
                    && o.ordered_at == candidate.ordered_at
                    && o.shipped_at == candidate.shipped_at
                    && o.signed_at == candidate.signed_at
                    && (paid.is_none() || paid == paid_given[i]);
                if !same {
                    return Err(err(
                        row,
                        "order_no",
                        format!("order {order_no} has other order fields on an earlier row"),
                    ));
                }
                orders[i].items.push(item);
            }
            None => {
                by_no.insert(order_no, orders.len());
                let mut o = candidate;
                o.items.push(item);
                orders.push(o);
                paid_given.push(paid);
                first_row.push(row);
            }
        }
    }
    if orders.is_empty() {
        return Err(DomainError::validation("file", "the file has no data rows"));
    }
    for (i, o) in orders.iter_mut().enumerate() {
        let total = o
            .items
            .iter()
            .try_fold(0i64, |s, it| it.price_fen.checked_mul(it.quantity).and_then(|v| s.checked_add(v)));
        o.total_fen = total.ok_or_else(|| {
            DomainError::validation("file", format!("order {} adds up to too much", o.order_no))
        })?;
        o.paid_fen = paid_given[i].unwrap_or(o.total_fen);
        // The order's first row names the culprit.
        let row = first_row[i];
        o.validate(&format!("rows[{row}].")).map_err(|e| DomainError {
            message: format!("row {row} (order {}): {}", o.order_no, e.message),
            ..e
        })?;
    }
    Ok(Parsed { orders, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_time_and_rfc3339() {
        let a = parse_time("2026-11-30 20:00:00").unwrap();
        assert_eq!(a, Millis::parse_rfc3339("2026-11-30T12:00:00Z").unwrap());
        assert_eq!(parse_time("2026/11/30 20:00"), Some(a));
        assert_eq!(parse_time("2026-11-30T12:00:00Z"), Some(a));
        assert_eq!(parse_time("30.11.2026"), None);
    }

    #[test]
    fn rows_group_into_orders_with_chinese_headers() {
        let csv = "订单号,买家账号,买家姓名,订单状态,下单时间,发货时间,签收时间,商品编码,商品名称,数量,单价,标记\n\
                   A1,u1,小王,已签收,2026-11-20 10:00,2026-11-21 10:00,2026-11-25 09:00,CUP,保温杯,2,59.9,\n\
                   A1,u1,小王,已签收,2026-11-20 10:00,2026-11-21 10:00,2026-11-25 09:00,CAKE,定制蛋糕,1,199,定制|不退\n\
                   B2,u2,,待发货,2026-11-30 10:00,,,TEA,龙井,1,188.00,\n";
        let p = parse(csv).unwrap();
        assert_eq!(p.rows, 3);
        assert_eq!(p.orders.len(), 2);
        let a = &p.orders[0];
        assert_eq!(a.items.len(), 2);
        assert_eq!(a.total_fen, 2 * 5990 + 19_900);
        assert_eq!(a.paid_fen, a.total_fen);
        assert_eq!(a.status, OrderStatus::Signed);
        assert!(a.items[1].flags.customised && a.items[1].flags.confirmed_non_returnable);
        assert_eq!(a.signed_at, parse_time("2026-11-25 09:00"));
        assert_eq!(p.orders[1].customer.name, None);
    }

    #[test]
    fn errors_name_row_and_column() {
        let head = "order_no,account_id,status,ordered_at,sku,item_name,quantity,price\n";
        let e = parse(&format!("{head}A,u,paid,2026-11-20 10:00,S,x,1,9.999\n")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("rows[1].price"));
        let e =
            parse(&format!("{head}A,u,paid,2026-11-20 10:00,S,x,1,9\nA,u,paid,2026-11-20 10:00,S,x,one,9\n"))
                .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("rows[2].quantity"));
        let e = parse(&format!("{head}A,u,发货了,2026-11-20 10:00,S,x,1,9\n")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("rows[1].status"));
        let e =
            parse(&format!("{head}A,u,paid,2026-11-20 10:00,S,x,1,9\nA,v,paid,2026-11-20 10:00,T,y,1,9\n"))
                .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("rows[2].order_no"), "another buyer on the same order");
        let e = parse("order_no,sku\nA,S\n").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("file"));
        assert!(e.message.contains("account_id"), "{}", e.message);
        let e = parse(head).unwrap_err();
        assert!(e.message.contains("no data rows"));
        let e =
            parse(&format!("{head}A,u,paid,2026-11-20 10:00,S,x,1,9\nB,u,paid,2026-11-20 10:00,S,x,0,9\n"))
                .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("rows[2].items[0].quantity"), "{e:?}");
    }

    #[test]
    fn gbk_files_decode() {
        let (bytes, _, _) = encoding_rs::GBK.encode("订单号,买家账号\nA1,小王\n");
        assert_eq!(decode(&bytes), "订单号,买家账号\nA1,小王\n");
        assert_eq!(decode("\u{feff}订单号".as_bytes()), "订单号");
    }
}
