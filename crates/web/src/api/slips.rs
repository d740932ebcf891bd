//! Printable slips of a dossier (forms 01–05 of TT 01/2018/TT-VPCP, A4 PDF/A): what they say
//! comes from `cqdt_app::slips` (the stored dossier, its events, the procedure version, the
//! agencies and officers); this module turns it into `cqdt-outputs`' slips and renders them on
//! the blocking pool.
//!
//! The lookup URL printed and encoded in the QR code is the portal's lookup page with the code
//! filled in (`/tra-cuu?MHS=<code>`, the parameter the page reads). There is no configured
//! public base URL, so it is made absolute from the request's `Host` (scheme `https` when cookies
//! are `Secure`, or as `X-Forwarded-Proto` says behind a trusted proxy); a missing or odd `Host`
//! gives the relative path.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use cqdt_app::AppError;
use cqdt_app::slips::{PaperLine, SlipData, SlipFacts, SlipForm, SlipIssuer};
use cqdt_domain::ErrorCode;
use cqdt_domain::calendar::{Timeliness, WorkDuration};
use cqdt_domain::dossier::ReturnMethod;
use cqdt_domain::ids::DossierId;
use cqdt_domain::procedure::PaperForm;
use cqdt_outputs as out;

use super::{err, parse_id};
use crate::auth::Caller;
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;

fn bad(caller: &Caller, code: ErrorCode, field: &str) -> ApiError {
    ApiError::from(AppError::field(code, field)).lang(caller.lang)
}

/// A dossier's slip as PDF: `01` receipt and appointment, `02` supplement request, `03`
/// refusal, `04` apology and new date, `05` control slip.
///
/// For whoever may see the dossier (its applicant, the staff handling it). A slip the dossier
/// has not reached yet is `slip.not_available` (409): 01 and 05 before it is received, 02
/// without a supplement request, 03 unless it was refused, 04 without an apology.
#[utoipa::path(get, path = "/api/v1/dossiers/{id}/slips/{form}", tag = "dossiers",
    params(("id" = String, Path, format = Uuid, description = "Dossier id"),
        ("form" = String, Path, description = "`01`…`05`")),
    responses((status = 200, description = "The slip (A4 PDF/A, `Content-Disposition: inline; filename=\"<code>-mau-0N.pdf\"`)", content_type = "application/pdf"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "The dossier has not reached the slip's step (`slip.not_available`)"),
        (status = 422, body = Problem, description = "An unknown form (`validation.invalid_choice`, field `form`)")))]
pub async fn dossier_slip(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((id, form)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id = parse_id(&id, DossierId, ErrorCode::DossierNotFound, caller.lang)?;
    let form =
        SlipForm::parse(&form).ok_or_else(|| bad(&caller, ErrorCode::InvalidChoice, "form"))?;
    let data = s
        .app
        .dossier_slip(&caller.ctx, id, form)
        .await
        .map_err(err(&caller))?;
    let base = public_base(&headers, s.web.trust_proxy, s.web.secure_cookies);
    let lookup = lookup_url(&base, &data.dossier_code);
    let file_name = format!("{}-mau-{}.pdf", data.dossier_code, form.number());
    let slip = to_slip(data, lookup);
    let pdf = tokio::task::spawn_blocking(move || slip.render_pdf())
        .await
        .map_err(|e| AppError::internal(format!("slip rendering: {e}")))
        .and_then(|r| r.map_err(|e| AppError::internal(format!("slip rendering: {e}"))))
        .map_err(err(&caller))?;
    let mut res = pdf.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{file_name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(res)
}

/// `scheme://host` from the request, or empty (a relative URL) when the host is missing or not
/// a plain host name, IPv4 or bracketed IPv6 address with an optional port.
fn public_base(headers: &HeaderMap, trust_proxy: bool, secure: bool) -> String {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let forwarded_host = if trust_proxy {
        text("x-forwarded-host").and_then(|h| h.split(',').next().map(str::trim))
    } else {
        None
    };
    let Some(host) = forwarded_host.or_else(|| text(header::HOST.as_str())) else {
        return String::new();
    };
    let plain = !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if !plain {
        return String::new();
    }
    let forwarded_proto = if trust_proxy {
        text("x-forwarded-proto")
            .and_then(|p| p.split(',').next().map(str::trim))
            .filter(|p| *p == "https" || *p == "http")
    } else {
        None
    };
    let scheme = forwarded_proto.unwrap_or(if secure { "https" } else { "http" });
    format!("{scheme}://{}", host.to_ascii_lowercase())
}

/// The portal's lookup page for a code.
fn lookup_url(base: &str, code: &str) -> String {
    let code: String = code
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{base}/tra-cuu?MHS={code}")
}

/// The legal time as the receipt writes it: "03 ngày làm việc".
fn processing_time(d: WorkDuration) -> String {
    match d {
        WorkDuration::Days(0) => "Trong ngày làm việc".to_owned(),
        WorkDuration::Days(n) => format!("{n:02} ngày làm việc"),
        WorkDuration::HalfDays(n) if n % 2 == 0 => format!("{:02} ngày làm việc", n / 2),
        WorkDuration::HalfDays(n) => format!("{},5 ngày làm việc", n / 2),
        WorkDuration::Minutes(m) if m % 60 == 0 => format!("{:02} giờ làm việc", m / 60),
        WorkDuration::Minutes(m) => format!("{m} phút làm việc"),
    }
}

fn issuer(i: &SlipIssuer) -> out::Issuer {
    out::Issuer {
        parent: i.parent.clone(),
        unit: i.unit.clone(),
        full_name: i.unit.clone(),
        place: i.place.clone(),
    }
}

fn paper(p: PaperLine) -> out::ReceivedPaper {
    let form = if p.electronic {
        out::PaperForm::Electronic
    } else {
        match p.form {
            PaperForm::Original => out::PaperForm::Original,
            PaperForm::Copy => out::PaperForm::Copy,
            PaperForm::CertifiedCopy => out::PaperForm::CertifiedCopy,
            PaperForm::OriginalOrCopy => out::PaperForm::Other(p.form.label_vi().to_owned()),
        }
    };
    out::ReceivedPaper {
        name: p.name,
        form,
        count: p.count,
    }
}

fn timeliness(t: Timeliness) -> out::Timeliness {
    match t {
        Timeliness::Early => out::Timeliness::Early,
        Timeliness::OnTime => out::Timeliness::OnTime,
        Timeliness::Late => out::Timeliness::Late,
    }
}

/// A supplement reason as a row: "Paper: why" splits at the first colon; otherwise the whole
/// text is the reason.
fn missing(reason: String) -> out::MissingPaper {
    match reason.split_once(':') {
        Some((paper, why)) if !paper.trim().is_empty() && !why.trim().is_empty() => {
            out::MissingPaper {
                paper: paper.trim().to_owned(),
                reason: why.trim().to_owned(),
            }
        }
        _ => out::MissingPaper {
            paper: String::new(),
            reason,
        },
    }
}

/// A slip of `cqdt-outputs`, ready to render.
enum Slip {
    Receipt(Box<out::ReceiptSlip>),
    SupplementRequest(Box<out::SupplementRequestSlip>),
    Refusal(Box<out::RefusalSlip>),
    Apology(Box<out::ApologySlip>),
    Control(Box<out::ControlSlip>),
}

impl Slip {
    fn render_pdf(&self) -> Result<Vec<u8>, out::OutputError> {
        match self {
            Slip::Receipt(s) => s.render_pdf(),
            Slip::SupplementRequest(s) => s.render_pdf(),
            Slip::Refusal(s) => s.render_pdf(),
            Slip::Apology(s) => s.render_pdf(),
            Slip::Control(s) => s.render_pdf(),
        }
    }
}

fn to_slip(d: SlipData, lookup_url: String) -> Slip {
    let issuer_out = issuer(&d.issuer);
    let applicant = out::Applicant {
        name: d.applicant.name.clone(),
        address: d.applicant.address.clone(),
        phone: d.applicant.phone.clone(),
        email: d.applicant.email.clone(),
    };
    let code = d.dossier_code;
    let procedure = d.procedure;
    match d.facts {
        SlipFacts::Receipt {
            received_at,
            appointment_at,
            officer,
            legal_time,
            papers,
            fees,
            return_method,
        } => {
            let delivery = match return_method {
                None | Some(ReturnMethod::Desk) => out::ResultDelivery::AtDesk,
                Some(ReturnMethod::Post) => out::ResultDelivery::Post {
                    address: d
                        .applicant
                        .address
                        .clone()
                        .unwrap_or_else(|| "(chưa ghi địa chỉ)".to_owned()),
                },
                Some(ReturnMethod::Online) => out::ResultDelivery::Online,
            };
            Slip::Receipt(Box::new(out::ReceiptSlip {
                issuer: issuer_out,
                dossier_code: code,
                copy_label: None,
                applicant,
                procedure,
                papers: papers.into_iter().map(paper).collect(),
                sets: 1,
                processing_time: processing_time(legal_time),
                received_at,
                appointment_at,
                delivery,
                fees: fees
                    .into_iter()
                    .map(|f| out::Fee {
                        name: f.name,
                        amount: i64::try_from(f.amount_vnd).unwrap_or(i64::MAX),
                    })
                    .collect(),
                ledger: None,
                receiving_officer: officer.unwrap_or_default(),
                lookup_url,
            }))
        }
        SlipFacts::SupplementRequest {
            issued_at,
            reasons,
            officer,
        } => Slip::SupplementRequest(Box::new(out::SupplementRequestSlip {
            issuer: issuer_out,
            issued_on: issued_at.date(),
            dossier_code: Some(code),
            applicant,
            procedure,
            missing: reasons.into_iter().map(missing).collect(),
            officer: officer.unwrap_or_default(),
            contact_phone: d.issuer.phone.clone(),
            lookup_url: Some(lookup_url),
        })),
        SlipFacts::Refusal {
            issued_at,
            reasons,
            officer,
        } => Slip::Refusal(Box::new(out::RefusalSlip {
            issuer: issuer_out,
            issued_on: issued_at.date(),
            dossier_code: Some(code),
            applicant,
            procedure,
            reasons,
            officer: officer.unwrap_or_default(),
        })),
        SlipFacts::Apology {
            issued_at,
            received_at,
            previous_due,
            new_appointment,
            reason,
            officer,
        } => Slip::Apology(Box::new(out::ApologySlip {
            issuer: issuer_out,
            issued_on: issued_at.date(),
            dossier_code: code,
            applicant,
            procedure,
            received_at,
            original_appointment: previous_due,
            reason,
            new_appointment,
            // Signed on behalf of the agency by the officer who issued it (their position is
            // not recorded).
            signer: out::Signer {
                title: d.issuer.unit.clone(),
                name: officer.unwrap_or_default(),
            },
            lookup_url: Some(lookup_url),
        })),
        SlipFacts::Control {
            received_at,
            appointment_at,
            lead_agency,
            coordinating_agencies,
            hand_overs,
        } => Slip::Control(Box::new(out::ControlSlip {
            issuer: issuer_out,
            dossier_code: code,
            applicant,
            procedure,
            received_at,
            appointment_at,
            lead_agency,
            coordinating_agencies,
            hand_overs: hand_overs
                .into_iter()
                .map(|h| out::HandOver {
                    from_unit: h.from_unit,
                    from_person: h.from_person,
                    to_unit: h.to_unit,
                    to_person: h.to_person,
                    at: h.at,
                    due: h.due,
                    result: h.result.map(timeliness),
                    note: h.note,
                })
                .collect(),
            lookup_url: Some(lookup_url),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_base_comes_from_the_host_and_odd_hosts_give_a_relative_url() {
        let h = headers(&[("host", "Dichvucong.TayNinh.gov.vn")]);
        assert_eq!(
            public_base(&h, false, true),
            "https://dichvucong.tayninh.gov.vn"
        );
        let h = headers(&[("host", "127.0.0.1:8080"), ("x-forwarded-proto", "https")]);
        assert_eq!(public_base(&h, false, false), "http://127.0.0.1:8080");
        assert_eq!(public_base(&h, true, false), "https://127.0.0.1:8080");
        let h = headers(&[("host", "evil.example/x?y")]);
        assert_eq!(public_base(&h, false, false), "");
        assert_eq!(public_base(&HeaderMap::new(), false, false), "");
        assert_eq!(
            lookup_url("", "000.00.20.H53-250303-0001"),
            "/tra-cuu?MHS=000.00.20.H53-250303-0001"
        );
    }

    #[test]
    fn legal_times_read_as_the_receipt_writes_them() {
        assert_eq!(processing_time(WorkDuration::Days(3)), "03 ngày làm việc");
        assert_eq!(
            processing_time(WorkDuration::Days(0)),
            "Trong ngày làm việc"
        );
        assert_eq!(
            processing_time(WorkDuration::HalfDays(3)),
            "1,5 ngày làm việc"
        );
        assert_eq!(
            processing_time(WorkDuration::HalfDays(1)),
            "0,5 ngày làm việc"
        );
        assert_eq!(
            processing_time(WorkDuration::Minutes(120)),
            "02 giờ làm việc"
        );
    }

    #[test]
    fn supplement_reasons_split_at_the_first_colon() {
        let m = missing("Giấy chứng sinh: bản chụp không rõ".into());
        assert_eq!(
            (m.paper.as_str(), m.reason.as_str()),
            ("Giấy chứng sinh", "bản chụp không rõ")
        );
        let m = missing("Thiếu chữ ký".into());
        assert_eq!((m.paper.as_str(), m.reason.as_str()), ("", "Thiếu chữ ký"));
    }
}
