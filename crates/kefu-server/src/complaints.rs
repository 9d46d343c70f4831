//! The complaint service (投诉): the one path every complaint change takes, and its documents.
//!
//! permission (the handler's gate) → the store locks the complaint row and checks its version →
//! `kefu_core::complaint::decide` turns the command into events (or refuses it: 409 naming the stage and
//! the next step) → in the same transaction: the events, the projection, the `complaint_recorded` step
//! in the ticket's timeline, the audit record → the ticket notice goes out.
//!
//! Steps with effects outside the complaint are checked against the complaint first (`precheck`, the
//! same `decide` on the state as read) and then written with that version expected, so a refused step
//! has no effect: the investigation opens a department task (跨部门协作) on the ticket through the ticket
//! service; recording the findings answers that task if it is still open; closing renders the complaint
//! handling notice (投诉处理通知单), stores it in the attachment store and records it as an attachment
//! of the ticket in the closing transaction, so it is kept for the ticket's retention period.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::tickets::TicketNotice;
use kefu_core::authz::Scope;
use kefu_core::calendar::{BusinessCalendar, WeeklyHours};
use kefu_core::complaint::{decide, summary, ComplaintCommand, ComplaintEvent, ComplaintState, Stage};
use kefu_core::ticket::{Actor, TicketEvent, TicketEventKind};
use kefu_core::time::Millis;
use kefu_core::DomainError;
use kefu_store::{
    AuditCtx, BuildComplaint, Complaint, ComplaintChange, ComplaintWrite, Customer, NewAttachment,
    NewComplaint,
};

/// The statutory calendar for working-day deadlines: PRC holidays and make-up workdays, Beijing time.
pub fn calendar() -> BusinessCalendar {
    BusinessCalendar::china(WeeklyHours::always_open())
}

/// The complaint with `overdue` as of `now`.
pub fn with_now(mut c: Complaint, now: Millis) -> Complaint {
    c.overdue = c.workflow.is_overdue(now);
    c
}

fn ticket_event(
    c: &Complaint,
    st: &ComplaintState,
    events: &[ComplaintEvent],
    actor: &Actor,
    now: Millis,
) -> TicketEvent {
    TicketEvent {
        at: now,
        actor: actor.clone(),
        kind: TicketEventKind::ComplaintRecorded {
            complaint_id: c.id,
            stage: st.stage.name().to_string(),
            summary: summary(&c.number, events),
        },
    }
}

fn follow(c: &Complaint, events: Vec<ComplaintEvent>, actor: &Actor, now: Millis) -> ComplaintChange {
    let mut st = c.workflow.clone();
    for e in &events {
        st.apply(e);
    }
    let te = ticket_event(c, &st, &events, actor, now);
    ComplaintChange { events, ticket_event: Some(te), archive: None }
}

fn publish(state: &AppState, w: &ComplaintWrite) {
    if let Some((t, e)) = &w.ticket {
        let _ = state.ticket_events.send(TicketNotice {
            ticket_id: t.id,
            merchant_id: t.merchant_id,
            version: t.version,
            events: vec![e.kind.name().to_string()],
        });
    }
}

/// Open a complaint on a ticket; repeat detection runs inside the store's transaction.
pub async fn open(
    state: &AppState,
    scope: &Scope,
    ctx: &AuditCtx,
    new: NewComplaint,
    intake: kefu_core::complaint::ComplaintIntake,
    actor: &Actor,
) -> ApiResult<ComplaintWrite> {
    let cal = calendar();
    let (customer_id, order_no, received_at) = (new.customer_id, new.order_no.clone(), new.received_at);
    let build = |c: &Complaint,
                 priors: &[kefu_core::complaint::PriorComplaint]|
     -> Result<ComplaintChange, DomainError> {
        let repeat_of =
            kefu_core::complaint::repeat_of(customer_id, order_no.as_deref(), received_at, priors);
        let cmd = ComplaintCommand::Open { intake: intake.clone(), repeat_of };
        let events = decide(&c.workflow, &cmd, ctx.now, &cal)?;
        Ok(follow(c, events, actor, ctx.now))
    };
    let build: BuildComplaint<'_> = &build;
    let w = state.store.create_complaint(scope, ctx, new, build).await?;
    publish(state, &w);
    Ok(w)
}

/// Load a complaint and check that `cmd` is accepted in its current stage, without writing anything.
/// Returns the complaint and the state after the command.
pub async fn precheck(
    state: &AppState,
    scope: &Scope,
    id: i64,
    expected_version: Option<i64>,
    cmd: &ComplaintCommand,
    now: Millis,
) -> ApiResult<(Complaint, ComplaintState)> {
    let c = state.store.get_complaint(scope, id).await?.ok_or_else(|| ApiError::not_found("complaint"))?;
    if let Some(v) = expected_version {
        if v != c.version {
            return Err(DomainError::conflict(
                Some("expected_version"),
                format!(
                    "the complaint was changed meanwhile: it is at version {} ({}), the request expected version {v}; reload it and try again",
                    c.version, c.stage_label
                ),
            )
            .into());
        }
    }
    let events = decide(&c.workflow, cmd, now, &calendar())?;
    let mut after = c.workflow.clone();
    for e in &events {
        after.apply(e);
    }
    Ok((c, after))
}

/// Apply one command under the complaint's lock; `archive` is a document to keep with the ticket.
#[allow(clippy::too_many_arguments)]
pub async fn change(
    state: &AppState,
    scope: &Scope,
    ctx: &AuditCtx,
    id: i64,
    expected_version: Option<i64>,
    cmd: &ComplaintCommand,
    actor: &Actor,
    archive: Option<NewAttachment>,
) -> ApiResult<ComplaintWrite> {
    let cal = calendar();
    let build =
        |c: &Complaint, _: &[kefu_core::complaint::PriorComplaint]| -> Result<ComplaintChange, DomainError> {
            let events = decide(&c.workflow, cmd, ctx.now, &cal)?;
            let mut change = follow(c, events, actor, ctx.now);
            change.archive = archive.clone();
            Ok(change)
        };
    let build: BuildComplaint<'_> = &build;
    let w = state.store.change_complaint(scope, ctx, id, cmd.name(), expected_version, build).await?;
    publish(state, &w);
    Ok(w)
}

/// Render the notice for the state after closing and put it in the attachment store; the closing
/// transaction records it as an attachment of the ticket.
pub async fn store_notice(
    state: &AppState,
    c: &Complaint,
    after: &ComplaintState,
    customer: Option<&Customer>,
) -> ApiResult<NewAttachment> {
    let mut closed = c.clone();
    closed.workflow = after.clone();
    closed.stage_label = after.stage.label().to_string();
    closed.next_step = after.stage.next_step().to_string();
    let html = notice_html(&closed, customer);
    let bytes = html.into_bytes();
    let checked = crate::files::CheckedFile {
        file_name: format!("投诉处理通知单-{}.html", c.number),
        mime: "text/html; charset=utf-8".into(),
        sha256: crate::files::sha256_hex(&bytes),
        size: bytes.len() as u64,
    };
    // Server-rendered with every value escaped; attachments are always served as downloads
    // (`Content-Disposition: attachment`, `nosniff`), so an archived page never runs in kefu's origin.
    let stored = state.attachments.put(&checked, &bytes).await.map_err(ApiError::internal)?;
    Ok(NewAttachment {
        sha256: stored.sha256,
        file_name: checked.file_name,
        mime: checked.mime,
        size: stored.size as i64,
    })
}

// ---------------------------------------------------------------------------------------------------
// The follow-up visit (回访) as a task in the visit list (回访任务).

/// The visit task of a complaint, by its `source`.
fn visit_source(c: &Complaint) -> String {
    format!("complaint:{}", c.id)
}

/// Once the remedy is executed, the follow-up visit is scheduled as a task (回访任务, reason 投诉回访) for
/// the next working day, assigned to whoever executed it (or the supervisors' queue for platform staff).
/// The complaint's step is committed already; a failure here is logged, the task can be scheduled by hand.
pub async fn schedule_visit(
    state: &AppState,
    scope: &Scope,
    ctx: &AuditCtx,
    principal: &kefu_core::authz::Principal,
    c: &Complaint,
) {
    let Some(ticket_id) = c.ticket_id else { return };
    let reason = kefu_core::satisfaction::VisitReason::Complaint;
    let new = kefu_store::NewVisit {
        ticket_id,
        reason,
        source: visit_source(c),
        due_at: kefu_core::satisfaction::next_working_day_due(ctx.now, &calendar()),
        assignee_id: (principal.merchant_id == Some(c.merchant_id)).then_some(principal.user_id),
        script: reason.default_script().to_string(),
        actor: crate::tickets::actor_of(principal),
    };
    if let Err(e) = state.store.schedule_follow_up(scope, ctx, new).await {
        tracing::warn!(complaint = c.id, error = %e, "could not schedule the complaint's follow-up visit");
    }
}

/// The follow-up visit recorded on the complaint completes its pending visit task with the outcome
/// (satisfied from 4 of 5 up, else still dissatisfied) and the renewed score. Logged on failure.
pub async fn complete_visit(
    state: &AppState,
    scope: &Scope,
    ctx: &AuditCtx,
    principal: &kefu_core::authz::Principal,
    c: &Complaint,
) {
    let Some(ticket_id) = c.ticket_id else { return };
    let (Some(result), Some(score)) = (c.workflow.follow_up.as_deref(), c.workflow.satisfaction) else {
        return;
    };
    let filter = kefu_store::VisitFilter {
        status: Some(kefu_core::satisfaction::VisitStatus::Pending),
        ticket_id: Some(ticket_id),
        ..Default::default()
    };
    let visits = match state.store.list_follow_ups(scope, &filter, 50).await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(complaint = c.id, error = %e, "could not find the complaint's follow-up visit");
            return;
        }
    };
    let source = visit_source(c);
    let Some(visit) = visits.into_iter().find(|v| v.source == source) else { return };
    let input = kefu_core::satisfaction::OutcomeInput {
        outcome: if score >= 4 { "satisfied" } else { "still_dissatisfied" }.to_string(),
        renewed_score: Some(i64::from(score)),
        note: result.chars().take(kefu_core::satisfaction::MAX_NOTE_CHARS).collect(),
    };
    let done = match kefu_core::satisfaction::validate_outcome(&input) {
        Ok(outcome) => state
            .store
            .complete_follow_up(scope, ctx, visit.id, crate::tickets::actor_of(principal), outcome)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = done {
        tracing::warn!(complaint = c.id, visit = visit.id, error = %e, "could not complete the follow-up visit");
    }
}

// ---------------------------------------------------------------------------------------------------
// Documents: print-ready HTML (A4).

/// Escaped for HTML, line breaks kept.
fn cmp_esc(s: &str) -> String {
    crate::page::esc(s).replace('\n', "<br>")
}

fn when(t: Option<Millis>) -> String {
    t.and_then(|m| jiff::Timestamp::from_millisecond(m.0).ok())
        .and_then(|ts| jiff::tz::TimeZone::get("Asia/Shanghai").ok().map(|z| ts.to_zoned(z)))
        .map(|z| z.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "—".into())
}

fn or_dash(v: Option<&str>) -> String {
    match v {
        Some(s) if !s.trim().is_empty() => cmp_esc(s),
        _ => "—".into(),
    }
}

/// The customer as the documents show them: name and phone masked (个人信息保护法 minimisation).
fn customer_text(customer: Option<&Customer>) -> (String, String) {
    match customer {
        Some(c) => (
            kefu_core::pii::mask_name(&c.display_name),
            c.phone.clone().or_else(|| c.email.clone()).unwrap_or_else(|| "—".into()),
        ),
        None => ("—".into(), "—".into()),
    }
}

const PRINT_CSS: &str = "@page{size:A4;margin:18mm 16mm}\
*{box-sizing:border-box}\
body{font-family:'Noto Serif CJK SC','Source Han Serif SC','SimSun',serif;color:#000;margin:0;font-size:12pt;line-height:1.6}\
.sheet{max-width:178mm;margin:0 auto;padding:8mm 0}\
h1{text-align:center;font-size:20pt;letter-spacing:4pt;margin:0 0 2mm}\
.sub{text-align:center;font-size:10pt;margin-bottom:6mm}\
table{width:100%;border-collapse:collapse;page-break-inside:auto}\
th,td{border:1px solid #000;padding:2mm 3mm;vertical-align:top;text-align:left}\
th{width:30mm;background:#f2f2f2;font-weight:600;white-space:nowrap}\
tr{page-break-inside:avoid}\
.sign{margin-top:10mm;display:flex;justify-content:space-between;gap:8mm}\
.sign div{flex:1;border-bottom:1px solid #000;padding-bottom:9mm;font-size:10.5pt}\
.note{margin-top:6mm;font-size:9pt;color:#333}\
.screen{font-size:9pt;color:#666;text-align:center;margin:4mm 0}\
@media print{.screen{display:none}th{background:none}}";

fn page(title: &str, number: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{t} {n}</title>\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><style>{PRINT_CSS}</style></head>\
         <body><div class=\"sheet\"><p class=\"screen\">使用浏览器的打印功能（Ctrl+P）打印，纸张 A4</p>{body}</div></body></html>",
        t = cmp_esc(title),
        n = cmp_esc(number),
    )
}

fn deadlines_rows(w: &ComplaintState) -> String {
    let mut rows = format!(
        "<tr><th>受理时限</th><td>{}{}</td></tr>",
        when(Some(w.acknowledge_due)),
        match w.acknowledged_at {
            Some(a) =>
                format!("（{} 受理{}）", when(Some(a)), if w.acknowledged_late { "，已超时" } else { "" }),
            None => String::new(),
        }
    );
    if let Some(r) = &w.regulator {
        rows.push_str(&format!(
            "<tr><th>12315 受理期限</th><td>{}（收到之日起7个工作日）</td></tr>\
             <tr><th>12315 调解期限</th><td>{}（受理之日起45个工作日）</td></tr>",
            when(Some(Millis(r.accept_due.0 - 1))),
            when(Some(Millis(r.mediate_due.0 - 1)))
        ));
    }
    rows
}

/// 投诉处理通知单: the complaint, the customer (masked), claim, demand, findings, remedy, deadlines,
/// the customer's answer, execution and follow-up, and the signatures area.
pub fn notice_html(c: &Complaint, customer: Option<&Customer>) -> String {
    let w = &c.workflow;
    let (name, contact) = customer_text(customer);
    let repeat = if w.repeat_of.is_empty() {
        "否".to_string()
    } else {
        format!("是（前次投诉：{}）", cmp_esc(&w.repeat_of.join("、")))
    };
    let answer = if w.stage as u8 >= Stage::Agreed as u8 && w.stage != Stage::Disagreed {
        format!(
            "同意{}",
            w.customer_note
                .as_deref()
                .filter(|n| !n.is_empty())
                .map(|n| format!("：{}", cmp_esc(n)))
                .unwrap_or_default()
        )
    } else if w.disagreements > 0 {
        format!("不同意（{}次）", w.disagreements)
    } else {
        "—".into()
    };
    let body = format!(
        "<h1>投诉处理通知单</h1><div class=\"sub\">编号：{number}　　工单：{ticket}　　状态：{stage}</div>\
         <table>\
         <tr><th>投诉来源</th><td>{source}{reg}</td></tr>\
         <tr><th>严重程度</th><td>{severity}</td></tr>\
         <tr><th>收到时间</th><td>{received}</td></tr>\
         {deadlines}\
         <tr><th>客户</th><td>{name}　{contact}</td></tr>\
         <tr><th>订单号</th><td>{order}</td></tr>\
         <tr><th>重复投诉</th><td>{repeat}</td></tr>\
         <tr><th>投诉摘要</th><td>{summary}</td></tr>\
         <tr><th>投诉内容</th><td>{claim}</td></tr>\
         <tr><th>客户诉求</th><td>{demand}</td></tr>\
         <tr><th>调查结果</th><td>{findings}</td></tr>\
         <tr><th>责任部门/人</th><td>{responsible}</td></tr>\
         <tr><th>处理方案</th><td>{remedy}{rounds}</td></tr>\
         <tr><th>客户意见</th><td>{answer}</td></tr>\
         <tr><th>执行情况</th><td>{execution}</td></tr>\
         <tr><th>回访结果</th><td>{follow_up}{satisfaction}</td></tr>\
         <tr><th>结案</th><td>{closed}{closing}</td></tr>\
         </table>\
         <div class=\"sign\"><div>受理人签字：</div><div>责任部门签字：</div><div>客服主管审核：</div></div>\
         <div class=\"sign\"><div>日期：</div><div>日期：</div><div>日期：</div></div>\
         <p class=\"note\">本通知单随工单存档，保存期限与工单一致。客户个人信息已按《个人信息保护法》脱敏显示。</p>",
        number = cmp_esc(&c.number),
        ticket = cmp_esc(&c.ticket_number),
        stage = cmp_esc(w.stage.label()),
        source = w.source.map(|s| s.label()).unwrap_or("—"),
        reg = w.regulator_ref.as_deref().map(|r| format!("（12315 编号 {}）", cmp_esc(r))).unwrap_or_default(),
        severity = w.severity.map(|s| s.label()).unwrap_or("—"),
        received = when(Some(w.received_at)),
        deadlines = deadlines_rows(w),
        name = cmp_esc(&name),
        contact = cmp_esc(&contact),
        order = or_dash(c.order_no.as_deref()),
        summary = or_dash(Some(&w.summary)),
        claim = or_dash(w.claim.as_deref()),
        demand = or_dash(w.demand.as_deref()),
        findings = or_dash(w.findings.as_deref()),
        responsible = or_dash(w.responsible.as_deref()),
        remedy = or_dash(w.remedy.as_deref()),
        rounds = if w.proposals > 1 { format!("（第{}次方案）", w.proposals) } else { String::new() },
        execution = or_dash(w.execution.as_deref()),
        follow_up = or_dash(w.follow_up.as_deref()),
        satisfaction = w.satisfaction.map(|s| format!("（满意度 {s}/5）")).unwrap_or_default(),
        closed = when(w.closed_at),
        closing = w.closing_summary.as_deref().filter(|s| !s.is_empty()).map(|s| format!("：{}", cmp_esc(s))).unwrap_or_default(),
    );
    page("投诉处理通知单", &c.number, &body)
}

/// 客户评价单: what was done, and the customer's evaluation of the handling, filled in at the
/// follow-up visit (回访) or by the customer on paper.
pub fn evaluation_html(c: &Complaint, customer: Option<&Customer>) -> String {
    let w = &c.workflow;
    let (name, contact) = customer_text(customer);
    let boxes = |selected: Option<u8>| -> String {
        [(5u8, "非常满意"), (4, "满意"), (3, "一般"), (2, "不满意"), (1, "非常不满意")]
            .iter()
            .map(|(v, l)| format!("{} {l}", if selected == Some(*v) { "☑" } else { "☐" }))
            .collect::<Vec<_>>()
            .join("　")
    };
    let body = format!(
        "<h1>客户评价单</h1><div class=\"sub\">投诉编号：{number}　　工单：{ticket}</div>\
         <table>\
         <tr><th>客户</th><td>{name}　{contact}</td></tr>\
         <tr><th>订单号</th><td>{order}</td></tr>\
         <tr><th>投诉内容</th><td>{claim}</td></tr>\
         <tr><th>客户诉求</th><td>{demand}</td></tr>\
         <tr><th>处理方案</th><td>{remedy}</td></tr>\
         <tr><th>执行情况</th><td>{execution}</td></tr>\
         <tr><th>回访记录</th><td>{follow_up}</td></tr>\
         <tr><th>处理结果满意度</th><td>{sat}</td></tr>\
         <tr><th>处理时效评价</th><td>☐ 及时　☐ 基本及时　☐ 不及时</td></tr>\
         <tr><th>服务态度评价</th><td>☐ 满意　☐ 一般　☐ 不满意</td></tr>\
         <tr><th>客户意见与建议</th><td style=\"height:30mm\"></td></tr>\
         </table>\
         <div class=\"sign\"><div>客户签字：</div><div>回访人签字：</div><div>日期：</div></div>\
         <p class=\"note\">本评价单随工单存档。客户个人信息已按《个人信息保护法》脱敏显示。</p>",
        number = cmp_esc(&c.number),
        ticket = cmp_esc(&c.ticket_number),
        name = cmp_esc(&name),
        contact = cmp_esc(&contact),
        order = or_dash(c.order_no.as_deref()),
        claim = or_dash(w.claim.as_deref()),
        demand = or_dash(w.demand.as_deref()),
        remedy = or_dash(w.remedy.as_deref()),
        execution = or_dash(w.execution.as_deref()),
        follow_up = or_dash(w.follow_up.as_deref()),
        sat = boxes(w.satisfaction),
    );
    page("客户评价单", &c.number, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_escape_what_people_typed() {
        assert_eq!(
            cmp_esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
