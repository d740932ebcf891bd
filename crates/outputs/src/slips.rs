//! The one-stop desk's slips: the forms 01–05 of TT 01/2018/TT-VPCP (Phụ lục), as data and as PDF.
//!
//! The wording follows the forms as standards.md §1.4 summarises them. Where the exact text of
//! the form was not at hand, the doc comment of the item says "wording not verified": it is what a
//! clerk expects to read, to be checked against the Thông tư before a province relies on it.

use chrono::{NaiveDate, NaiveDateTime};

use crate::OutputError;
use crate::fonts::Fonts;
use crate::layout::{Align, BODY, Col, Composer, MM, SMALL, Signature, Span, WIDTH, b, i, r};
use crate::qr::QrModules;
use crate::render::{DocInfo, to_pdf};
use crate::vi::{capitalize, date_vi, datetime_vi, vnd};

/// Who issues the slip: the header's agency block and how the body names the unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// The governing agency (cơ quan chủ quản), first line of the header, printed in capitals:
    /// "Ủy ban nhân dân phường Hiệp Ninh". None when the unit stands alone.
    pub parent: Option<String>,
    /// The issuing unit, second line of the header in bold capitals:
    /// "Bộ phận tiếp nhận và trả kết quả".
    pub unit: String,
    /// How sentences name the unit: "Bộ phận tiếp nhận và trả kết quả Ủy ban nhân dân phường
    /// Hiệp Ninh".
    pub full_name: String,
    /// The place in the date line: "Tây Ninh" gives "Tây Ninh, ngày 05 tháng 02 năm 2019".
    pub place: String,
}

impl Issuer {
    fn date_line(&self, date: NaiveDate) -> String {
        format!("{}, {}", self.place, date_vi(date))
    }
}

/// The person or organisation the dossier belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applicant {
    /// "Nguyễn Thị Ánh Tuyết" or an organisation's name.
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// The form of a paper received (the forms' "bản chính, bản sao").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaperForm {
    /// Bản chính.
    Original,
    /// Bản sao.
    Copy,
    /// Bản sao có chứng thực.
    CertifiedCopy,
    /// Bản điện tử (a file submitted online).
    Electronic,
    /// Any other wording, printed as given.
    Other(String),
}

impl PaperForm {
    fn label(&self) -> &str {
        match self {
            PaperForm::Original => "Bản chính",
            PaperForm::Copy => "Bản sao",
            PaperForm::CertifiedCopy => "Bản sao có chứng thực",
            PaperForm::Electronic => "Bản điện tử",
            PaperForm::Other(text) => text,
        }
    }
}

/// One paper of the dossier as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPaper {
    /// "Tờ khai đăng ký khai sinh".
    pub name: String,
    pub form: PaperForm,
    /// How many copies of it.
    pub count: u32,
}

/// How the applicant collects the result (form 01, item "Đăng ký nhận kết quả tại").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultDelivery {
    /// At the desk that received the dossier.
    AtDesk,
    /// By the public postal service (bưu chính công ích) to this address.
    Post { address: String },
    /// Online, on the public-service portal.
    Online,
}

impl ResultDelivery {
    /// Wording not verified (the form leaves a blank line here).
    fn text(&self, issuer: &Issuer) -> String {
        match self {
            ResultDelivery::AtDesk => format!("{} (nhận trực tiếp)", issuer.full_name),
            ResultDelivery::Post { address } => {
                format!("Qua dịch vụ bưu chính công ích, địa chỉ nhận: {address}")
            }
            ResultDelivery::Online => "Trực tuyến, trên Cổng dịch vụ công".to_owned(),
        }
    }
}

/// A fee or charge collected with the dossier (amount in whole đồng).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fee {
    /// "Lệ phí đăng ký khai sinh".
    pub name: String,
    pub amount: i64,
}

/// The entry in the dossier register (Sổ theo dõi hồ sơ, form 06).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// Quyển số.
    pub book: String,
    /// Số thứ tự.
    pub number: u32,
}

/// Who signs a letter on behalf of the agency (form 04).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The signing title, printed in bold capitals: "Chủ tịch", "KT. Chủ tịch\nPhó Chủ tịch".
    pub title: String,
    pub name: String,
}

/// Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả (receipt and appointment).
///
/// Contents: header with the place and the day of receipt; the dossier code (and the copy,
/// "Liên"); the applicant with address, phone and e-mail; the requested procedure; 1. the papers
/// received (table: name, original or copy, count); 2. the number of sets; 3. the legal processing
/// time; 4. when the dossier was received; 5. when the result will be returned; 6. where the
/// applicant collects it; the fees (an addition: not in the form, printed only when given); the
/// register entry; the lookup URL; the QR code; the signatures of the applicant and the receiving
/// officer.
///
/// Wording not verified: "{unit} tiếp nhận hồ sơ của:", the table header "Hình thức (bản chính,
/// bản sao)", "7. Phí, lệ phí" (an addition), "Tra cứu tình trạng giải quyết hồ sơ tại:" and the
/// QR caption (additions, as provinces print them). The item titles 1–6 and "Vào Sổ theo dõi hồ
/// sơ, Quyển số … Số thứ tự …" are the form's as remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptSlip {
    pub issuer: Issuer,
    /// `000.00.53.H53-190205-0001`.
    pub dossier_code: String,
    /// The copy this is, printed "(Liên: …)": "Lưu" or "Giao người nộp hồ sơ". Optional.
    pub copy_label: Option<String>,
    pub applicant: Applicant,
    /// Nội dung yêu cầu giải quyết: the procedure's name, "Đăng ký khai sinh".
    pub procedure: String,
    pub papers: Vec<ReceivedPaper>,
    /// Số lượng hồ sơ (bộ).
    pub sets: u32,
    /// The legal processing time as the procedure states it: "03 ngày làm việc".
    pub processing_time: String,
    pub received_at: NaiveDateTime,
    /// The appointment from the deadline engine.
    pub appointment_at: NaiveDateTime,
    pub delivery: ResultDelivery,
    pub fees: Vec<Fee>,
    pub ledger: Option<LedgerEntry>,
    /// The officer who received the dossier.
    pub receiving_officer: String,
    /// The public lookup page of this dossier; printed and encoded in the QR code.
    pub lookup_url: String,
}

/// A paper that is missing or must be corrected, and why (form 02 states every reason at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingPaper {
    pub paper: String,
    pub reason: String,
}

/// Mẫu 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (request to supplement the dossier).
///
/// Contents: header and date; the dossier code when there is one; the applicant and the
/// procedure; a table of every paper to supplement or correct with its reason; whom to ask
/// (officer and phone); the lookup URL and QR code when given; the guiding officer's signature.
///
/// Wording not verified: "Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:" and "Trong quá trình
/// hoàn thiện hồ sơ nếu có vướng mắc, Ông/Bà liên hệ với … để được hướng dẫn." are the form's as
/// remembered; the form lists the papers and gives one "Lý do:" line, the table with a reason per
/// paper is ours (NĐ 61/2018 asks for every reason, once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplementRequestSlip {
    pub issuer: Issuer,
    pub issued_on: NaiveDate,
    /// Dossiers submitted online already have a code; a paper dossier at the desk may not.
    pub dossier_code: Option<String>,
    pub applicant: Applicant,
    pub procedure: String,
    pub missing: Vec<MissingPaper>,
    /// The officer who guides the applicant (signs the slip).
    pub officer: String,
    /// The phone number to call with questions.
    pub contact_phone: Option<String>,
    /// Where to look the dossier up and answer the request online.
    pub lookup_url: Option<String>,
}

/// Mẫu 03: Phiếu từ chối tiếp nhận giải quyết hồ sơ (refusal).
///
/// Contents: header and date; the applicant and the procedure; the numbered reasons; the
/// receiving officer's signature.
///
/// Wording not verified: "Qua xem xét, {unit} từ chối tiếp nhận, giải quyết hồ sơ này với lý do
/// cụ thể như sau:" and "Xin thông báo cho Ông/Bà được biết và thực hiện./." as remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalSlip {
    pub issuer: Issuer,
    pub issued_on: NaiveDate,
    pub dossier_code: Option<String>,
    pub applicant: Applicant,
    pub procedure: String,
    pub reasons: Vec<String>,
    pub officer: String,
}

/// Mẫu 04: Phiếu xin lỗi và hẹn lại ngày trả kết quả (apology and new appointment).
///
/// Contents: header and date; "Kính gửi" the applicant; the day of receipt, the dossier code and
/// the procedure; the original appointment; the reason for the delay; the apology and the new
/// appointment; thanks; the head of the agency's signature; the lookup QR when given.
///
/// Wording not verified: the sentences follow the form as remembered ("Ngày …, {agency} tiếp nhận
/// giải quyết hồ sơ của Ông/Bà/Tổ chức … đề nghị giải quyết thủ tục …", "Tuy nhiên đến nay, …
/// chưa trả kết quả …", "Sự chậm trễ này đã gây phiền hà cho Ông/Bà/Tổ chức …", "Xin trân trọng
/// cảm ơn sự hợp tác của Ông/Bà/Tổ chức./."); the form gives the reason after "do", we print
/// "Lý do: …" so any sentence fits; the new appointment carries an hour as well as the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApologySlip {
    /// The agency that caused the delay (the processing agency or the desk).
    pub issuer: Issuer,
    pub issued_on: NaiveDate,
    pub dossier_code: String,
    pub applicant: Applicant,
    pub procedure: String,
    pub received_at: NaiveDateTime,
    pub original_appointment: NaiveDateTime,
    pub reason: String,
    pub new_appointment: NaiveDateTime,
    pub signer: Signer,
    pub lookup_url: Option<String>,
}

/// Whether a step finished before, on or after its due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeliness {
    /// Trước hạn.
    Early,
    /// Đúng hạn.
    OnTime,
    /// Quá hạn.
    Late,
}

impl Timeliness {
    pub fn label(self) -> &'static str {
        match self {
            Timeliness::Early => "Trước hạn",
            Timeliness::OnTime => "Đúng hạn",
            Timeliness::Late => "Quá hạn",
        }
    }
}

/// One hand-over of the dossier between units (a row of form 05).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandOver {
    /// The unit that hands the dossier over: "Bộ phận tiếp nhận và trả kết quả".
    pub from_unit: String,
    pub from_person: Option<String>,
    /// The unit that receives it: "Công chức Tư pháp - Hộ tịch".
    pub to_unit: String,
    pub to_person: Option<String>,
    /// When it changed hands.
    pub at: NaiveDateTime,
    /// When the receiving unit's step is due.
    pub due: Option<NaiveDateTime>,
    /// How the receiving unit's step ended; None while it is in progress.
    pub result: Option<Timeliness>,
    pub note: Option<String>,
}

/// Mẫu 05: Phiếu kiểm soát quá trình giải quyết hồ sơ (control slip that travels with the
/// dossier).
///
/// Contents: header (no date line: the slip is filled in over time); the dossier code; the
/// applicant, the procedure, the times of receipt and of the appointment; the lead and the
/// coordinating agencies, with the QR code of the lookup page beside them; a table with one row
/// per hand-over: the units (from, to), the time of hand-over and the due time, the persons
/// handing over and receiving with room to sign, the result (trước hạn / đúng hạn / quá hạn),
/// notes.
///
/// Wording not verified: the form's columns are TÊN CƠ QUAN / THỜI GIAN GIAO, NHẬN HỒ SƠ / KẾT
/// QUẢ GIẢI QUYẾT HỒ SƠ / GHI CHÚ with "Người giao / Người nhận" signatures in the time column;
/// the due time ("Hạn xử lý") and the separate signature column are ours; "Người nộp hồ sơ",
/// "Thời gian nhận hồ sơ" and "Thời gian hẹn trả kết quả" lines are additions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlSlip {
    pub issuer: Issuer,
    pub dossier_code: String,
    pub applicant: Applicant,
    pub procedure: String,
    pub received_at: NaiveDateTime,
    pub appointment_at: NaiveDateTime,
    /// Cơ quan (bộ phận) giải quyết hồ sơ.
    pub lead_agency: String,
    /// Cơ quan phối hợp giải quyết hồ sơ; may be empty.
    pub coordinating_agencies: Vec<String>,
    pub hand_overs: Vec<HandOver>,
    pub lookup_url: Option<String>,
}

const SIGN_NOTE: &str = "(Ký và ghi rõ họ tên)";

fn field(label: &str, value: &str) -> Vec<Span> {
    vec![r(format!("{label}: ")), r(value)]
}

fn field_bold(label: &str, value: &str) -> Vec<Span> {
    vec![r(format!("{label}: ")), b(value)]
}

/// Address, phone and e-mail lines of the applicant (those that are known).
fn applicant_details(c: &mut Composer, applicant: &Applicant) {
    if let Some(address) = &applicant.address {
        c.paragraph(&field("Địa chỉ", address), BODY, Align::Left);
    }
    let mut contact = Vec::new();
    if let Some(phone) = &applicant.phone {
        contact.push(format!("Số điện thoại: {phone}"));
    }
    if let Some(email) = &applicant.email {
        contact.push(format!("Email: {email}"));
    }
    if !contact.is_empty() {
        c.paragraph(&[r(contact.join("; "))], BODY, Align::Left);
    }
}

fn code_line(c: &mut Composer, code: &str) {
    c.paragraph(&[r("Mã hồ sơ: "), b(code)], BODY, Align::Center);
}

/// A label line, then the URL on its own line in smaller type (URLs are long).
fn lookup_line(c: &mut Composer, label: &str, url: &str) {
    c.paragraph(&[r(label)], BODY, Align::Left);
    c.paragraph(&[r(url)], URL_SIZE, Align::Left);
}

const URL_SIZE: f32 = 10.5;
const LOOKUP_LABEL: &str = "Tra cứu tình trạng giải quyết hồ sơ tại:";

fn encode_qr(url: Option<&str>) -> Result<Option<QrModules>, OutputError> {
    url.map(QrModules::encode).transpose()
}

impl ReceiptSlip {
    /// The slip as an A4 PDF.
    pub fn render_pdf(&self) -> Result<Vec<u8>, OutputError> {
        let fonts = Fonts::load()?;
        let qr = QrModules::encode(&self.lookup_url)?;
        let mut c = Composer::new(&fonts);
        let issuer = &self.issuer;
        c.national_header(
            issuer.parent.as_deref(),
            &issuer.unit,
            None,
            Some(&issuer.date_line(self.received_at.date())),
        );
        c.title("Giấy tiếp nhận hồ sơ và hẹn trả kết quả");
        code_line(&mut c, &self.dossier_code);
        if let Some(copy) = &self.copy_label {
            c.paragraph(&[i(format!("(Liên: {copy})"))], BODY, Align::Center);
        }
        c.space(6.0);
        c.paragraph(
            &[
                r(format!("{} tiếp nhận hồ sơ của: ", issuer.full_name)),
                b(&self.applicant.name),
            ],
            BODY,
            Align::Left,
        );
        applicant_details(&mut c, &self.applicant);
        c.paragraph(
            &field_bold("Nội dung yêu cầu giải quyết", &self.procedure),
            BODY,
            Align::Left,
        );
        c.paragraph(&[r("1. Thành phần hồ sơ nộp gồm:")], BODY, Align::Left);
        c.space(2.0);
        let cols = [
            Col {
                width: 12.0 * MM,
                align: Align::Center,
            },
            Col {
                width: 89.0 * MM,
                align: Align::Left,
            },
            Col {
                width: 45.0 * MM,
                align: Align::Center,
            },
            Col {
                width: WIDTH - 146.0 * MM,
                align: Align::Center,
            },
        ];
        let header = [
            vec![b("TT")],
            vec![b("Tên giấy tờ")],
            vec![b("Hình thức (bản chính, bản sao)")],
            vec![b("Số lượng")],
        ];
        let rows: Vec<Vec<Vec<Span>>> = self
            .papers
            .iter()
            .enumerate()
            .map(|(n, p)| {
                vec![
                    vec![r((n + 1).to_string())],
                    vec![r(&p.name)],
                    vec![r(p.form.label())],
                    vec![r(format!("{:02}", p.count))],
                ]
            })
            .collect();
        c.table(&cols, &header, &rows, SMALL);
        c.space(4.0);
        c.paragraph(
            &[r(format!("2. Số lượng hồ sơ: {:02} (bộ)", self.sets))],
            BODY,
            Align::Left,
        );
        c.paragraph(
            &field(
                "3. Thời gian giải quyết hồ sơ theo quy định là",
                &self.processing_time,
            ),
            BODY,
            Align::Left,
        );
        c.paragraph(
            &field("4. Thời gian nhận hồ sơ", &datetime_vi(self.received_at)),
            BODY,
            Align::Left,
        );
        c.paragraph(
            &field_bold(
                "5. Thời gian trả kết quả giải quyết hồ sơ",
                &datetime_vi(self.appointment_at),
            ),
            BODY,
            Align::Left,
        );
        c.paragraph(
            &field(
                "6. Đăng ký nhận kết quả tại",
                &self.delivery.text(&self.issuer),
            ),
            BODY,
            Align::Left,
        );
        if !self.fees.is_empty() {
            let fees: Vec<String> = self
                .fees
                .iter()
                .map(|f| format!("{}: {}", f.name, vnd(f.amount)))
                .collect();
            c.paragraph(
                &field("7. Phí, lệ phí", &fees.join("; ")),
                BODY,
                Align::Left,
            );
        }
        if let Some(ledger) = &self.ledger {
            c.paragraph(
                &[r(format!(
                    "Vào Sổ theo dõi hồ sơ, Quyển số: {}, Số thứ tự: {}",
                    ledger.book, ledger.number
                ))],
                BODY,
                Align::Left,
            );
        }
        lookup_line(&mut c, LOOKUP_LABEL, &self.lookup_url);
        c.signatures(
            &[
                Signature {
                    title: "Người nộp hồ sơ".into(),
                    note: SIGN_NOTE.into(),
                    name: Some(self.applicant.name.clone()),
                },
                Signature {
                    title: "Người tiếp nhận hồ sơ".into(),
                    note: SIGN_NOTE.into(),
                    name: Some(self.receiving_officer.clone()),
                },
            ],
            Some((&qr, &self.lookup_url)),
        );
        to_pdf(
            &c.finish(),
            &fonts,
            &DocInfo {
                title: &format!(
                    "Giấy tiếp nhận hồ sơ và hẹn trả kết quả {}",
                    self.dossier_code
                ),
                subject: &self.procedure,
                date: self.received_at.date(),
            },
        )
    }
}

impl SupplementRequestSlip {
    /// The slip as an A4 PDF.
    pub fn render_pdf(&self) -> Result<Vec<u8>, OutputError> {
        let fonts = Fonts::load()?;
        let qr = encode_qr(self.lookup_url.as_deref())?;
        let mut c = Composer::new(&fonts);
        let issuer = &self.issuer;
        c.national_header(
            issuer.parent.as_deref(),
            &issuer.unit,
            None,
            Some(&issuer.date_line(self.issued_on)),
        );
        c.title("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ");
        if let Some(code) = &self.dossier_code {
            code_line(&mut c, code);
        }
        c.space(6.0);
        c.paragraph(
            &[
                r(format!("{} tiếp nhận hồ sơ của: ", issuer.full_name)),
                b(&self.applicant.name),
            ],
            BODY,
            Align::Left,
        );
        c.paragraph(
            &field_bold("Nội dung yêu cầu giải quyết", &self.procedure),
            BODY,
            Align::Left,
        );
        applicant_details(&mut c, &self.applicant);
        c.paragraph(
            &[r("Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:")],
            BODY,
            Align::Left,
        );
        c.space(2.0);
        let cols = [
            Col {
                width: 12.0 * MM,
                align: Align::Center,
            },
            Col {
                width: 68.0 * MM,
                align: Align::Left,
            },
            Col {
                width: WIDTH - 80.0 * MM,
                align: Align::Left,
            },
        ];
        let header = [
            vec![b("TT")],
            vec![b("Giấy tờ cần bổ sung, hoàn thiện")],
            vec![b("Lý do")],
        ];
        let rows: Vec<Vec<Vec<Span>>> = self
            .missing
            .iter()
            .enumerate()
            .map(|(n, m)| {
                vec![
                    vec![r((n + 1).to_string())],
                    vec![r(&m.paper)],
                    vec![r(&m.reason)],
                ]
            })
            .collect();
        c.table(&cols, &header, &rows, SMALL);
        c.space(6.0);
        let contact = match &self.contact_phone {
            Some(phone) => format!("{}, số điện thoại {}", self.officer, phone),
            None => self.officer.clone(),
        };
        c.prose(&[r(format!(
            "Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, Ông/Bà liên hệ với {contact} \
             để được hướng dẫn."
        ))]);
        if let Some(url) = &self.lookup_url {
            lookup_line(
                &mut c,
                "Bổ sung hồ sơ trực tuyến và tra cứu tình trạng giải quyết hồ sơ tại:",
                url,
            );
        }
        c.signatures(
            &[Signature {
                title: "Người hướng dẫn".into(),
                note: SIGN_NOTE.into(),
                name: Some(self.officer.clone()),
            }],
            qr.as_ref().zip(self.lookup_url.as_deref()),
        );
        to_pdf(
            &c.finish(),
            &fonts,
            &DocInfo {
                title: "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
                subject: &self.procedure,
                date: self.issued_on,
            },
        )
    }
}

impl RefusalSlip {
    /// The slip as an A4 PDF.
    pub fn render_pdf(&self) -> Result<Vec<u8>, OutputError> {
        let fonts = Fonts::load()?;
        let mut c = Composer::new(&fonts);
        let issuer = &self.issuer;
        c.national_header(
            issuer.parent.as_deref(),
            &issuer.unit,
            None,
            Some(&issuer.date_line(self.issued_on)),
        );
        c.title("Phiếu từ chối tiếp nhận giải quyết hồ sơ");
        if let Some(code) = &self.dossier_code {
            code_line(&mut c, code);
        }
        c.space(6.0);
        c.paragraph(
            &[
                r(format!("{} tiếp nhận hồ sơ của: ", issuer.full_name)),
                b(&self.applicant.name),
            ],
            BODY,
            Align::Left,
        );
        c.paragraph(
            &field_bold("Nội dung yêu cầu giải quyết", &self.procedure),
            BODY,
            Align::Left,
        );
        applicant_details(&mut c, &self.applicant);
        c.space(4.0);
        c.prose(&[r(format!(
            "Qua xem xét, {} từ chối tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:",
            issuer.full_name
        ))]);
        for (n, reason) in self.reasons.iter().enumerate() {
            c.hanging(&format!("{}. ", n + 1), &[r(reason)], 10.0 * MM);
        }
        c.space(4.0);
        c.prose(&[r("Xin thông báo cho Ông/Bà được biết và thực hiện./.")]);
        c.signatures(
            &[Signature {
                title: "Người tiếp nhận hồ sơ".into(),
                note: SIGN_NOTE.into(),
                name: Some(self.officer.clone()),
            }],
            None,
        );
        to_pdf(
            &c.finish(),
            &fonts,
            &DocInfo {
                title: "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
                subject: &self.procedure,
                date: self.issued_on,
            },
        )
    }
}

impl ApologySlip {
    /// The slip as an A4 PDF.
    pub fn render_pdf(&self) -> Result<Vec<u8>, OutputError> {
        let fonts = Fonts::load()?;
        let qr = encode_qr(self.lookup_url.as_deref())?;
        let mut c = Composer::new(&fonts);
        let issuer = &self.issuer;
        c.national_header(
            issuer.parent.as_deref(),
            &issuer.unit,
            None,
            Some(&issuer.date_line(self.issued_on)),
        );
        c.title("Phiếu xin lỗi và hẹn lại ngày trả kết quả");
        c.space(4.0);
        c.paragraph(
            &[r("Kính gửi: "), b(&self.applicant.name)],
            BODY,
            Align::Center,
        );
        c.space(6.0);
        let name = &issuer.full_name;
        c.prose(&[
            r(format!(
                "{}, {} tiếp nhận giải quyết hồ sơ của Ông/Bà/Tổ chức ",
                capitalize(&date_vi(self.received_at.date())),
                name
            )),
            b(&self.applicant.name),
            r(" đề nghị giải quyết thủ tục "),
            b(&self.procedure),
            r("."),
        ]);
        c.prose(&[r("Mã hồ sơ: "), b(&self.dossier_code), r(".")]);
        c.prose(&[r(format!(
            "Thời gian hẹn trả kết quả giải quyết hồ sơ: {}.",
            datetime_vi(self.original_appointment)
        ))]);
        c.prose(&[r(format!(
            "Tuy nhiên đến nay, {name} chưa trả kết quả giải quyết hồ sơ của Ông/Bà/Tổ chức. \
             Lý do: {}",
            self.reason
        ))]);
        c.prose(&[
            r(format!(
                "Sự chậm trễ này đã gây phiền hà cho Ông/Bà/Tổ chức. {name} xin lỗi Ông/Bà/Tổ \
                 chức và hẹn trả kết quả giải quyết hồ sơ vào "
            )),
            b(datetime_vi(self.new_appointment)),
            r("."),
        ]);
        c.prose(&[r("Xin trân trọng cảm ơn sự hợp tác của Ông/Bà/Tổ chức./.")]);
        if let Some(url) = &self.lookup_url {
            lookup_line(&mut c, LOOKUP_LABEL, url);
        }
        c.signatures(
            &[Signature {
                title: self.signer.title.clone(),
                note: "(Ký, ghi rõ họ tên và đóng dấu)".into(),
                name: Some(self.signer.name.clone()),
            }],
            qr.as_ref().zip(self.lookup_url.as_deref()),
        );
        to_pdf(
            &c.finish(),
            &fonts,
            &DocInfo {
                title: "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
                subject: &self.procedure,
                date: self.issued_on,
            },
        )
    }
}

impl ControlSlip {
    /// The slip as an A4 PDF.
    pub fn render_pdf(&self) -> Result<Vec<u8>, OutputError> {
        let fonts = Fonts::load()?;
        let qr = encode_qr(self.lookup_url.as_deref())?;
        let mut c = Composer::new(&fonts);
        let issuer = &self.issuer;
        c.national_header(issuer.parent.as_deref(), &issuer.unit, None, None);
        c.title("Phiếu kiểm soát quá trình giải quyết hồ sơ");
        code_line(&mut c, &self.dossier_code);
        c.space(6.0);
        if let Some((code, url)) = qr.as_ref().zip(self.lookup_url.as_deref()) {
            c.aside_qr(code, url);
        }
        c.paragraph(
            &field_bold("Người nộp hồ sơ", &self.applicant.name),
            BODY,
            Align::Left,
        );
        c.paragraph(
            &field_bold("Nội dung yêu cầu giải quyết", &self.procedure),
            BODY,
            Align::Left,
        );
        c.paragraph(
            &field("Thời gian nhận hồ sơ", &datetime_vi(self.received_at)),
            BODY,
            Align::Left,
        );
        c.paragraph(
            &field(
                "Thời gian hẹn trả kết quả",
                &datetime_vi(self.appointment_at),
            ),
            BODY,
            Align::Left,
        );
        c.paragraph(
            &field("Cơ quan (bộ phận) giải quyết hồ sơ", &self.lead_agency),
            BODY,
            Align::Left,
        );
        if !self.coordinating_agencies.is_empty() {
            c.paragraph(
                &field(
                    "Cơ quan phối hợp giải quyết hồ sơ",
                    &self.coordinating_agencies.join("; "),
                ),
                BODY,
                Align::Left,
            );
        }
        c.end_aside();
        c.space(6.0);
        let widths = [38.0, 40.0, 33.0, 28.0];
        let mut cols: Vec<Col> = widths
            .iter()
            .map(|w| Col {
                width: w * MM,
                align: Align::Left,
            })
            .collect();
        cols.push(Col {
            width: WIDTH - widths.iter().sum::<f32>() * MM,
            align: Align::Left,
        });
        if let Some(col) = cols.get_mut(3) {
            col.align = Align::Center;
        }
        let header = [
            vec![b("TÊN CƠ QUAN")],
            vec![b("THỜI GIAN GIAO, NHẬN HỒ SƠ VÀ HẠN XỬ LÝ")],
            vec![b("NGƯỜI GIAO, NGƯỜI NHẬN"), i("\n(Ký và ghi rõ họ tên)")],
            vec![
                b("KẾT QUẢ GIẢI QUYẾT"),
                i("\n(Trước hạn/ Đúng hạn/ Quá hạn)"),
            ],
            vec![b("GHI CHÚ")],
        ];
        let rows: Vec<Vec<Vec<Span>>> = self
            .hand_overs
            .iter()
            .enumerate()
            .map(|(n, h)| {
                let mut when = vec![i("Giao, nhận: "), r(datetime_vi(h.at))];
                if let Some(due) = h.due {
                    when.extend([i("\nHạn xử lý: "), r(datetime_vi(due))]);
                }
                vec![
                    vec![
                        r(format!("{}. Giao: ", n + 1)),
                        r(&h.from_unit),
                        r("\nNhận: "),
                        r(&h.to_unit),
                    ],
                    when,
                    vec![
                        i("Người giao:\n\n"),
                        r(h.from_person.clone().unwrap_or_default()),
                        i("\nNgười nhận:\n\n"),
                        r(h.to_person.clone().unwrap_or_default()),
                    ],
                    vec![b(h.result.map(Timeliness::label).unwrap_or_default())],
                    vec![r(h.note.clone().unwrap_or_default())],
                ]
            })
            .collect();
        c.table(&cols, &header, &rows, 10.5);
        to_pdf(
            &c.finish(),
            &fonts,
            &DocInfo {
                title: &format!(
                    "Phiếu kiểm soát quá trình giải quyết hồ sơ {}",
                    self.dossier_code
                ),
                subject: &self.procedure,
                date: self.received_at.date(),
            },
        )
    }
}
