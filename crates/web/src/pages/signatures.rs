//! The signature verification page (`/xac-thuc-chu-ky`): anyone uploads a signed PDF, or a
//! file with its detached signature (`.p7s`), and sees every signature checked — the same
//! report as `POST /api/v1/signatures/verify`. No login.

use super::portal::read_posted;
use super::{Errs, Nav, csrf_for, html_page, nav_of, with_cookie};
use crate::auth::Caller;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use cqdt_app::documents::{SignatureVerification, VerificationKind};
use cqdt_domain::ErrorCode;

/// One line of a signature's facts.
pub struct SigFact {
    pub label: String,
    pub value: String,
}

/// One signature as shown.
pub struct SigView {
    pub title: String,
    pub valid: bool,
    pub verdict: String,
    pub facts: Vec<SigFact>,
    pub problems: Vec<String>,
}

/// The result of a verification as shown.
pub struct ResultView {
    pub all_valid: bool,
    pub summary: String,
    pub file: String,
    pub signatures: Vec<SigView>,
}

#[derive(Template)]
#[template(path = "sig_verify.html")]
struct VerifyPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    result: Option<ResultView>,
}

fn yes_no(t: &Tr, v: bool, yes: &str, no: &str) -> String {
    t.s(if v { yes } else { no }).to_string()
}

fn result_view(t: &Tr, v: &SignatureVerification) -> ResultView {
    let summary = if v.signatures.is_empty() {
        t.s("sig.none")
    } else if v.all_valid {
        t.s("sig.all_valid")
    } else {
        t.s("sig.not_all_valid")
    }
    .to_string();
    let n = v.signatures.len();
    let signatures = v
        .signatures
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut facts = Vec::new();
            let mut fact = |key: &str, value: String| {
                if !value.is_empty() {
                    facts.push(SigFact {
                        label: t.s(key).to_string(),
                        value,
                    });
                }
            };
            fact("sig.signer", s.signer_name.clone().unwrap_or_default());
            fact(
                "sig.organization",
                s.organization.clone().unwrap_or_default(),
            );
            fact("sig.subject", s.subject.clone());
            fact("sig.issuer", s.issuer.clone());
            fact("sig.serial", s.serial.clone());
            if let (Some(a), Some(b)) = (&s.not_before, &s.not_after) {
                fact("sig.validity", format!("{a} – {b}"));
            }
            fact("sig.time", s.signing_time.clone().unwrap_or_default());
            fact(
                "sig.chain",
                if s.trusted {
                    format!("{} ({})", s.chain.join(" → "), t.s("sig.trusted"))
                } else {
                    t.s("sig.not_trusted").to_string()
                },
            );
            fact(
                "sig.intact",
                yes_no(t, s.intact, "sig.intact_yes", "sig.intact_no"),
            );
            fact(
                "sig.cert_valid",
                yes_no(t, s.cert_valid_at_signing_time, "doc.yes", "doc.no"),
            );
            if let Some(p) = &s.pdf {
                fact("sig.field", p.field.clone());
                fact("sig.reason", p.reason.clone().unwrap_or_default());
                let scope = if p.covers_whole_file {
                    t.s("sig.covers_whole")
                        .replace("{rev}", &p.revision.to_string())
                        .replace("{total}", &p.revisions.to_string())
                } else {
                    t.s("sig.covers_part")
                        .replace("{rev}", &p.revision.to_string())
                        .replace("{total}", &p.revisions.to_string())
                };
                fact("sig.scope", scope);
            }
            SigView {
                title: t
                    .s("sig.item")
                    .replace("{i}", &(i + 1).to_string())
                    .replace("{n}", &n.to_string()),
                valid: s.valid,
                verdict: yes_no(t, s.valid, "sig.valid", "sig.invalid"),
                facts,
                problems: s.problems.clone(),
            }
        })
        .collect();
    ResultView {
        all_valid: v.all_valid,
        summary,
        file: format!(
            "{} · {} · SHA-256 {}",
            match v.kind {
                VerificationKind::Pdf => t.s("sig.kind_pdf"),
                VerificationKind::Detached => t.s("sig.kind_detached"),
            },
            super::documents::size_label(i64::try_from(v.size).unwrap_or(i64::MAX)),
            v.sha256
        ),
        signatures,
    }
}

fn page(s: &AppState, caller: &Caller, errs: Errs, result: Option<ResultView>) -> Response {
    let t = Tr::new(caller.lang);
    let (csrf, cookie) = csrf_for(s, caller);
    let status = if errs.summary.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut res = html_page(VerifyPage {
        t,
        nav: nav_of(caller, csrf),
        errs,
        notice: String::new(),
        result,
    });
    *res.status_mut() = status;
    with_cookie(res, cookie)
}

async fn verify_form(State(s): State<AppState>, caller: Caller) -> Response {
    page(&s, &caller, Errs::default(), None)
}

async fn verify_submit(
    State(s): State<AppState>,
    caller: Caller,
    req: axum::extract::Request,
) -> Response {
    let t = Tr::new(caller.lang);
    let posted = match read_posted(&s, &caller, req).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let mut file = None;
    let mut signature = None;
    for (field, _, bytes) in posted.files {
        match field.as_str() {
            "file" if !bytes.is_empty() => file = Some(bytes),
            "signature" if !bytes.is_empty() => signature = Some(bytes),
            _ => {}
        }
    }
    let mut errs = Errs::default();
    let Some(file) = file else {
        super::portal::push_err(&mut errs, &t, "file", t.s("sig.file"), ErrorCode::Required);
        return page(&s, &caller, errs, None);
    };
    match s.app.signatures_verify(&file, signature.as_deref()).await {
        Ok(v) => page(&s, &caller, errs, Some(result_view(&t, &v))),
        Err(e) => {
            let field = if signature.is_some() {
                "signature"
            } else {
                "file"
            };
            let label = if signature.is_some() {
                t.s("sig.signature")
            } else {
                t.s("sig.file")
            };
            super::portal::push_err(&mut errs, &t, field, label, e.code);
            page(&s, &caller, errs, None)
        }
    }
}

pub fn routes(upload_limit: usize) -> Router<AppState> {
    Router::new().route(
        "/xac-thuc-chu-ky",
        get(verify_form)
            .post(verify_submit)
            .layer(DefaultBodyLimit::max(upload_limit)),
    )
}
