//! The edXML model (standards.md §5.1–5.3) and its mapping to and from XML.
//!
//! Text fields that the samples always carry are plain `String`s, written even when empty (as
//! the VPCP samples do) and read as empty when absent; optional blocks are `Option`s. All text is
//! NFC-normalised when built and when parsed. The parser finds children by local name, in any
//! order, so packages from tools that order or prefix elements differently still parse.

use crate::dom::{self, Element, Node};
use crate::{EDXML_NS, Error, Limits};
use base64::Engine as _;
use chrono::{NaiveDate, NaiveDateTime};
use unicode_normalization::UnicodeNormalization;

/// Date format of the standard (`yyyy/MM/dd`).
pub const DATE_FORMAT: &str = "%Y/%m/%d";
/// Timestamp format of the standard (`yyyy/MM/dd HH:mm:ss`).
pub const TIMESTAMP_FORMAT: &str = "%Y/%m/%d %H:%M:%S";

fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// An organisation (`From`, `To`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Organization {
    /// Mã định danh (`000.00.00.H53`).
    pub organ_id: String,
    pub organization_in_charge: String,
    pub organ_name: String,
    pub organ_add: String,
    pub email: String,
    pub telephone: String,
    pub fax: String,
    pub website: String,
}

/// Number and notation (`Code`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Code {
    /// Số, e.g. `7816`.
    pub code_number: String,
    /// Ký hiệu, e.g. `VPCP-TTĐT`.
    pub code_notation: String,
}

/// Place and date of promulgation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromulgationInfo {
    pub place: String,
    pub promulgation_date: NaiveDate,
}

/// `DocumentType`. The numeric code tables are unverified (standards.md §5.2), so `Type` and
/// `TypeDetail` are kept as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentType {
    pub type_code: String,
    pub type_detail: String,
    /// E.g. "Công văn".
    pub type_name: String,
}

/// `SignerInfo` (the author of the document).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignerInfo {
    /// "TL. BỘ TRƯỞNG", "KT. CHỦ TỊCH", "TM. …".
    pub competence: String,
    pub position: String,
    pub full_name: String,
}

/// Độ khẩn (`OtherInfo/Priority`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Priority {
    /// 0 Thường.
    #[default]
    Normal,
    /// 1 Khẩn.
    Urgent,
    /// 2 Thượng khẩn.
    VeryUrgent,
    /// 3 Hỏa tốc.
    Flash,
    /// 4 Hỏa tốc hẹn giờ.
    FlashScheduled,
}

impl Priority {
    pub fn code(self) -> u8 {
        match self {
            Priority::Normal => 0,
            Priority::Urgent => 1,
            Priority::VeryUrgent => 2,
            Priority::Flash => 3,
            Priority::FlashScheduled => 4,
        }
    }

    pub fn from_code(c: u8) -> Option<Self> {
        Some(match c {
            0 => Priority::Normal,
            1 => Priority::Urgent,
            2 => Priority::VeryUrgent,
            3 => Priority::Flash,
            4 => Priority::FlashScheduled,
            _ => return None,
        })
    }
}

/// `OtherInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OtherInfo {
    pub priority: Priority,
    /// E.g. "Liên thông văn bản quốc gia".
    pub sphere_of_promulgation: String,
    /// Typist's initials (the standard's spelling `TyperNotation`).
    pub typer_notation: String,
    pub promulgation_amount: Option<u32>,
    pub page_amount: Option<u32>,
    pub direction: bool,
    pub appendixes: Vec<String>,
}

/// `SteeringType`: 0 not a directive, 1 directive, 2 report on a directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SteeringType {
    NotSteering,
    Steering,
    SteeringReport,
}

impl SteeringType {
    pub fn code(self) -> u8 {
        match self {
            SteeringType::NotSteering => 0,
            SteeringType::Steering => 1,
            SteeringType::SteeringReport => 2,
        }
    }

    pub fn from_code(c: u8) -> Option<Self> {
        Some(match c {
            0 => SteeringType::NotSteering,
            1 => SteeringType::Steering,
            2 => SteeringType::SteeringReport,
            _ => return None,
        })
    }
}

/// `ResponseFor`: the document this one answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseFor {
    pub organ_id: String,
    /// Number/notation as written, e.g. `7816/VPCP-TTĐT`.
    pub code: String,
    pub promulgation_date: NaiveDate,
    pub document_id: String,
}

/// `MessageHeader` of a document package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageHeader {
    pub from: Organization,
    pub to: Vec<Organization>,
    /// `{OrganId},{yyyy/MM/dd},{CodeNumber}/{CodeNotation}`; see [`document_id`].
    pub document_id: String,
    pub code: Code,
    pub promulgation_info: PromulgationInfo,
    pub document_type: DocumentType,
    /// Trích yếu.
    pub subject: String,
    pub content: String,
    pub signer_info: SignerInfo,
    /// Hạn xử lý.
    pub due_date: Option<NaiveDate>,
    pub other_info: OtherInfo,
    pub steering_type: Option<SteeringType>,
    /// Nơi nhận.
    pub to_places: Vec<String>,
    pub response_for: Vec<ResponseFor>,
}

/// The document id of the standard: `{OrganId},{yyyy/MM/dd},{CodeNumber}/{CodeNotation}`.
pub fn document_id(organ_id: &str, date: NaiveDate, code: &Code) -> String {
    format!(
        "{organ_id},{},{}/{}",
        date.format(DATE_FORMAT),
        code.code_number,
        code.code_notation
    )
}

/// The parts of a document id: organ id, date, number, notation.
pub fn parse_document_id(id: &str) -> Option<(String, NaiveDate, String, String)> {
    let mut parts = id.splitn(3, ',');
    let organ = parts.next()?;
    let date = NaiveDate::parse_from_str(parts.next()?, DATE_FORMAT).ok()?;
    let (number, notation) = parts.next()?.split_once('/')?;
    Some((organ.into(), date, number.into(), notation.into()))
}

/// `TraceHeader`: an organisation the package went through, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceHeader {
    pub organ_id: String,
    pub timestamp: NaiveDateTime,
}

/// `BussinessDocType`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BussinessDocType {
    /// 0 văn bản mới.
    #[default]
    New,
    /// 1 thu hồi.
    Revoke,
    /// 2 cập nhật.
    Update,
    /// 3 thay thế.
    Replace,
}

impl BussinessDocType {
    pub fn code(self) -> u8 {
        match self {
            BussinessDocType::New => 0,
            BussinessDocType::Revoke => 1,
            BussinessDocType::Update => 2,
            BussinessDocType::Replace => 3,
        }
    }

    pub fn from_code(c: u8) -> Option<Self> {
        Some(match c {
            0 => BussinessDocType::New,
            1 => BussinessDocType::Revoke,
            2 => BussinessDocType::Update,
            3 => BussinessDocType::Replace,
            _ => return None,
        })
    }
}

/// `StaffInfo`: the clerk who sent the package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaffInfo {
    pub department: String,
    pub staff: String,
    pub mobile: String,
    pub email: String,
}

/// A receiver of an update (`ReceiverList/Receiver`) [guessed shape].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Receiver {
    pub receiver_type: String,
    pub organ_id: String,
}

/// `BussinessDocumentInfo` for updates: what changed [guessed shape, see docs/edxml.md].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BussinessDocumentInfo {
    pub document_info: String,
    pub document_receiver: String,
    pub receivers: Vec<Receiver>,
}

/// `ReplacementInfo`: a document replaced by this one, and who received it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplacementInfo {
    pub document_id: String,
    pub organ_ids: Vec<String>,
}

/// `Bussiness` (the standard's spelling).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bussiness {
    pub document_id: String,
    pub doc_type: BussinessDocType,
    pub reason: String,
    /// A paper copy is also sent.
    pub paper: bool,
    pub staff_info: StaffInfo,
    pub document_info: Option<BussinessDocumentInfo>,
    pub replacement_info: Vec<ReplacementInfo>,
}

/// `TraceHeaderList`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceHeaderList {
    pub trace_headers: Vec<TraceHeader>,
    pub bussiness: Option<Bussiness>,
}

/// An attachment: its manifest entry and its bytes (base64 in `AttachmentEncoded`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachment {
    /// E.g. `cid:1`.
    pub content_id: String,
    pub content_type: String,
    pub description: String,
    pub attachment_name: String,
    pub content: Vec<u8>,
}

/// A document package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub header: MessageHeader,
    pub trace: TraceHeaderList,
    pub attachments: Vec<Attachment>,
}

/// Status codes of a status message (§5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusCode {
    /// 01 đã đến.
    Arrived,
    /// 02 từ chối tiếp nhận.
    Rejected,
    /// 03 tiếp nhận, vào sổ đến.
    Accepted,
    /// 04 lãnh đạo phân công xử lý.
    Assigned,
    /// 05 đang xử lý.
    Processing,
    /// 06 hoàn thành.
    Done,
    /// 13 yêu cầu lấy lại văn bản.
    RecallRequested,
    /// 15 đồng ý cập nhật / lấy lại.
    RecallAgreed,
    /// 16 từ chối cập nhật / lấy lại.
    RecallRefused,
}

impl StatusCode {
    /// The two-digit code.
    pub fn code(self) -> &'static str {
        match self {
            StatusCode::Arrived => "01",
            StatusCode::Rejected => "02",
            StatusCode::Accepted => "03",
            StatusCode::Assigned => "04",
            StatusCode::Processing => "05",
            StatusCode::Done => "06",
            StatusCode::RecallRequested => "13",
            StatusCode::RecallAgreed => "15",
            StatusCode::RecallRefused => "16",
        }
    }

    /// From the code, with or without the leading zero.
    pub fn from_code(s: &str) -> Option<Self> {
        Some(match s.trim().parse::<u8>().ok()? {
            1 => StatusCode::Arrived,
            2 => StatusCode::Rejected,
            3 => StatusCode::Accepted,
            4 => StatusCode::Assigned,
            5 => StatusCode::Processing,
            6 => StatusCode::Done,
            13 => StatusCode::RecallRequested,
            15 => StatusCode::RecallAgreed,
            16 => StatusCode::RecallRefused,
            _ => return None,
        })
    }

    /// The standard's Vietnamese description.
    pub fn description_vi(self) -> &'static str {
        match self {
            StatusCode::Arrived => "Đã đến",
            StatusCode::Rejected => "Từ chối tiếp nhận",
            StatusCode::Accepted => "Tiếp nhận, vào sổ văn bản đến",
            StatusCode::Assigned => "Lãnh đạo phân công xử lý",
            StatusCode::Processing => "Đang xử lý",
            StatusCode::Done => "Hoàn thành",
            StatusCode::RecallRequested => "Yêu cầu lấy lại văn bản",
            StatusCode::RecallAgreed => "Đồng ý yêu cầu cập nhật / lấy lại",
            StatusCode::RecallRefused => "Từ chối yêu cầu cập nhật / lấy lại",
        }
    }
}

/// A status message (gói tin trạng thái).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    pub from: Organization,
    pub response_for: ResponseFor,
    pub staff_info: StaffInfo,
    pub status_code: StatusCode,
    /// E.g. the reason of a refusal or recall request (13).
    pub description: String,
    pub timestamp: NaiveDateTime,
}

// ---------------------------------------------------------------------------------------------
// Building.

fn ed(local: &str) -> Element {
    Element::new(Some("edXML"), local, Some(EDXML_NS))
}

fn leaf(local: &str, text: &str) -> Element {
    let mut e = ed(local);
    e.push_text(&nfc(text));
    e
}

fn plain(local: &str) -> Element {
    Element::new(None, local, Some(EDXML_NS))
}

fn plain_leaf(local: &str, text: &str) -> Element {
    let mut e = plain(local);
    e.push_text(&nfc(text));
    e
}

fn organization(local: &str, o: &Organization) -> Element {
    let mut e = ed(local);
    e.push(leaf("OrganId", &o.organ_id));
    e.push(leaf("OrganizationInCharge", &o.organization_in_charge));
    e.push(leaf("OrganName", &o.organ_name));
    e.push(leaf("OrganAdd", &o.organ_add));
    e.push(leaf("Email", &o.email));
    e.push(leaf("Telephone", &o.telephone));
    e.push(leaf("Fax", &o.fax));
    e.push(leaf("Website", &o.website));
    e
}

fn response_for(r: &ResponseFor) -> Element {
    let mut e = ed("ResponseFor");
    e.push(leaf("OrganId", &r.organ_id));
    e.push(leaf("Code", &r.code));
    e.push(leaf(
        "PromulgationDate",
        &r.promulgation_date.format(DATE_FORMAT).to_string(),
    ));
    e.push(leaf("DocumentId", &r.document_id));
    e
}

fn staff_info(s: &StaffInfo) -> Element {
    let mut e = ed("StaffInfo");
    e.push(leaf("Department", &s.department));
    e.push(leaf("Staff", &s.staff));
    e.push(leaf("Mobile", &s.mobile));
    e.push(leaf("Email", &s.email));
    e
}

fn opt_num(n: Option<u32>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

fn message_header(h: &MessageHeader) -> Element {
    let mut mh = ed("MessageHeader");
    mh.push(organization("From", &h.from));
    for t in &h.to {
        mh.push(organization("To", t));
    }
    mh.push(leaf("DocumentId", &h.document_id));
    let mut code = ed("Code");
    code.push(leaf("CodeNumber", &h.code.code_number));
    code.push(leaf("CodeNotation", &h.code.code_notation));
    mh.push(code);
    let mut pi = ed("PromulgationInfo");
    pi.push(leaf("Place", &h.promulgation_info.place));
    pi.push(leaf(
        "PromulgationDate",
        &h.promulgation_info
            .promulgation_date
            .format(DATE_FORMAT)
            .to_string(),
    ));
    mh.push(pi);
    let mut dt = ed("DocumentType");
    dt.push(leaf("Type", &h.document_type.type_code));
    dt.push(leaf("TypeDetail", &h.document_type.type_detail));
    dt.push(leaf("TypeName", &h.document_type.type_name));
    mh.push(dt);
    mh.push(leaf("Subject", &h.subject));
    mh.push(leaf("Content", &h.content));
    let mut si = ed("SignerInfo");
    si.push(leaf("Competence", &h.signer_info.competence));
    si.push(leaf("Position", &h.signer_info.position));
    si.push(leaf("FullName", &h.signer_info.full_name));
    mh.push(si);
    if let Some(d) = h.due_date {
        mh.push(leaf("DueDate", &d.format(DATE_FORMAT).to_string()));
    }
    let o = &h.other_info;
    let mut oi = ed("OtherInfo");
    oi.push(leaf("Priority", &o.priority.code().to_string()));
    oi.push(leaf("SphereOfPromulgation", &o.sphere_of_promulgation));
    oi.push(leaf("TyperNotation", &o.typer_notation));
    oi.push(leaf("PromulgationAmount", &opt_num(o.promulgation_amount)));
    oi.push(leaf("PageAmount", &opt_num(o.page_amount)));
    oi.push(leaf(
        "Direction",
        if o.direction { "true" } else { "false" },
    ));
    let mut ap = ed("Appendixes");
    for a in &o.appendixes {
        ap.push(leaf("Appendix", a));
    }
    oi.push(ap);
    mh.push(oi);
    if let Some(s) = h.steering_type {
        mh.push(leaf("SteeringType", &s.code().to_string()));
    }
    let mut tp = ed("ToPlaces");
    for p in &h.to_places {
        tp.push(leaf("Place", p));
    }
    mh.push(tp);
    for r in &h.response_for {
        mh.push(response_for(r));
    }
    mh
}

fn trace_list(t: &TraceHeaderList) -> Element {
    let mut tl = ed("TraceHeaderList");
    for th in &t.trace_headers {
        let mut e = ed("TraceHeader");
        e.push(leaf("OrganId", &th.organ_id));
        e.push(leaf(
            "Timestamp",
            &th.timestamp.format(TIMESTAMP_FORMAT).to_string(),
        ));
        tl.push(e);
    }
    if let Some(b) = &t.bussiness {
        let mut e = ed("Bussiness");
        e.push(leaf("DocumentId", &b.document_id));
        e.push(leaf("BussinessDocType", &b.doc_type.code().to_string()));
        e.push(leaf("BussinessDocReason", &b.reason));
        e.push(leaf("Paper", if b.paper { "1" } else { "0" }));
        e.push(staff_info(&b.staff_info));
        if let Some(di) = &b.document_info {
            let mut d = ed("BussinessDocumentInfo");
            d.push(leaf("DocumentInfo", &di.document_info));
            d.push(leaf("DocumentReceiver", &di.document_receiver));
            let mut rl = ed("ReceiverList");
            for r in &di.receivers {
                let mut re = ed("Receiver");
                re.push(leaf("ReceiverType", &r.receiver_type));
                re.push(leaf("OrganId", &r.organ_id));
                rl.push(re);
            }
            d.push(rl);
            e.push(d);
        }
        if !b.replacement_info.is_empty() {
            let mut rl = ed("ReplacementInfoList");
            for r in &b.replacement_info {
                let mut ri = ed("ReplacementInfo");
                ri.push(leaf("DocumentId", &r.document_id));
                let mut ol = ed("OrganIdList");
                for o in &r.organ_ids {
                    ol.push(leaf("OrganId", o));
                }
                ri.push(ol);
                rl.push(ri);
            }
            e.push(rl);
        }
        tl.push(e);
    }
    tl
}

/// The root and envelope around a header (and optional body).
fn envelope(header: Element, body: Option<Element>, attachments: Option<Element>) -> Element {
    let mut root = Element::new(None, "edXML", Some(EDXML_NS));
    root.ns_decls.push((None, EDXML_NS.to_owned()));
    let mut env = ed("edXMLEnvelope");
    env.ns_decls
        .push((Some("edXML".to_owned()), EDXML_NS.to_owned()));
    env.push(header);
    if let Some(b) = body {
        env.push(b);
    }
    root.push(env);
    if let Some(a) = attachments {
        root.push(a);
    }
    root
}

/// Insert indentation (newline + two spaces per level) into elements that hold only elements.
pub(crate) fn indent(el: &mut Element, depth: usize) {
    let only_elements =
        !el.children.is_empty() && el.children.iter().all(|n| matches!(n, Node::Element(_)));
    for n in el.children.iter_mut() {
        if let Node::Element(c) = n {
            indent(c, depth + 1);
        }
    }
    if only_elements {
        let inner = format!("\n{}", "  ".repeat(depth + 1));
        let outer = format!("\n{}", "  ".repeat(depth));
        let old = std::mem::take(&mut el.children);
        for n in old {
            el.children.push(Node::Text(inner.clone()));
            el.children.push(n);
        }
        el.children.push(Node::Text(outer));
    }
}

pub(crate) fn serialize(root: &Element) -> Vec<u8> {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    dom::write(root, &mut s);
    s.push('\n');
    s.into_bytes()
}

impl Package {
    /// The package as a tree (indented).
    pub(crate) fn to_tree(&self) -> Element {
        let mut header = ed("edXMLHeader");
        header.push(message_header(&self.header));
        header.push(trace_list(&self.trace));
        let mut body = ed("edXMLBody");
        let mut manifest = ed("edXMLManifest");
        manifest.attrs.push(dom::Attr {
            prefix: None,
            local: "version".into(),
            ns: None,
            value: "1.0".into(),
        });
        for a in &self.attachments {
            let mut r = ed("Reference");
            r.push(leaf("ContentId", &a.content_id));
            r.push(leaf("ContentType", &a.content_type));
            r.push(leaf("Description", &a.description));
            r.push(leaf("AttachmentName", &a.attachment_name));
            manifest.push(r);
        }
        body.push(manifest);
        let mut enc = plain("AttachmentEncoded");
        for a in &self.attachments {
            let mut at = plain("Attachment");
            at.push(plain_leaf("ContentId", &a.content_id));
            at.push(plain_leaf("AttachmentName", &a.attachment_name));
            at.push(plain_leaf("Description", &a.description));
            at.push(plain_leaf("ContentType", &a.content_type));
            let mut c = ed("ContentTransferEncoded");
            c.ns_decls
                .push((Some("edXML".to_owned()), EDXML_NS.to_owned()));
            c.push_text(&base64::engine::general_purpose::STANDARD.encode(&a.content));
            at.push(c);
            enc.push(at);
        }
        let mut root = envelope(header, Some(body), Some(enc));
        indent(&mut root, 0);
        root
    }

    /// The package as edXML bytes (UTF-8, unsigned).
    pub fn to_xml(&self) -> Vec<u8> {
        serialize(&self.to_tree())
    }

    /// The package signed with an enveloped XML signature in `edXMLHeader`.
    pub fn to_signed_xml(&self, signer: &dyn crate::XmlSigner) -> Result<Vec<u8>, Error> {
        let mut root = self.to_tree();
        crate::dsig::sign_tree(&mut root, signer)?;
        Ok(serialize(&root))
    }

    /// Parse a package with the default [`Limits`]. A signature, if any, is ignored (use
    /// [`crate::verify_and_parse`] to check it).
    pub fn from_xml(xml: &[u8]) -> Result<Self, Error> {
        Self::from_xml_with(xml, &Limits::default())
    }

    /// Parse a package within `limits`.
    pub fn from_xml_with(xml: &[u8], limits: &Limits) -> Result<Self, Error> {
        let root = dom::parse(xml, limits)?;
        Self::from_tree(&root, limits)
    }

    pub(crate) fn from_tree(root: &Element, limits: &Limits) -> Result<Self, Error> {
        let header = header_of(root)?;
        let mh = need(header, "MessageHeader", "edXMLHeader")?;
        let message = read_message_header(mh)?;
        let trace = match header.child("TraceHeaderList") {
            Some(t) => read_trace(t)?,
            None => TraceHeaderList::default(),
        };
        let attachments = read_attachments(root, limits)?;
        Ok(Package {
            header: message,
            trace,
            attachments,
        })
    }
}

impl StatusMessage {
    pub(crate) fn to_tree(&self) -> Element {
        let mut mh = ed("MessageHeader");
        mh.push(organization("From", &self.from));
        mh.push(response_for(&self.response_for));
        mh.push(staff_info(&self.staff_info));
        mh.push(leaf("StatusCode", self.status_code.code()));
        mh.push(leaf("Description", &self.description));
        mh.push(leaf(
            "Timestamp",
            &self.timestamp.format(TIMESTAMP_FORMAT).to_string(),
        ));
        let mut header = ed("edXMLHeader");
        header.push(mh);
        let mut root = envelope(header, None, None);
        indent(&mut root, 0);
        root
    }

    /// The status message as edXML bytes (unsigned).
    pub fn to_xml(&self) -> Vec<u8> {
        serialize(&self.to_tree())
    }

    /// The status message signed like a package.
    pub fn to_signed_xml(&self, signer: &dyn crate::XmlSigner) -> Result<Vec<u8>, Error> {
        let mut root = self.to_tree();
        crate::dsig::sign_tree(&mut root, signer)?;
        Ok(serialize(&root))
    }

    /// Parse a status message with the default [`Limits`].
    pub fn from_xml(xml: &[u8]) -> Result<Self, Error> {
        let root = dom::parse(xml, &Limits::default())?;
        Self::from_tree(&root)
    }

    pub(crate) fn from_tree(root: &Element) -> Result<Self, Error> {
        let header = header_of(root)?;
        let mh = need(header, "MessageHeader", "edXMLHeader")?;
        let from = read_org(need(mh, "From", "MessageHeader")?);
        let response_for = read_response_for(need(mh, "ResponseFor", "MessageHeader")?)?;
        let staff_info = mh.child("StaffInfo").map(read_staff).unwrap_or_default();
        let code_text = text(mh, "StatusCode");
        let status_code = StatusCode::from_code(&code_text).ok_or_else(|| Error::InvalidValue {
            element: "StatusCode".into(),
            value: code_text.clone(),
        })?;
        Ok(StatusMessage {
            from,
            response_for,
            staff_info,
            status_code,
            description: text(mh, "Description"),
            timestamp: timestamp(mh, "Timestamp")?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing.

fn header_of(root: &Element) -> Result<&Element, Error> {
    if root.local != "edXML" {
        return Err(Error::Malformed {
            line: 1,
            reason: format!("root element is <{}>, not <edXML>", root.qname()),
        });
    }
    let env = need(root, "edXMLEnvelope", "edXML")?;
    need(env, "edXMLHeader", "edXMLEnvelope")
}

fn need<'a>(el: &'a Element, local: &str, path: &str) -> Result<&'a Element, Error> {
    el.child(local).ok_or_else(|| Error::MissingElement {
        path: format!("{path}/{local}"),
    })
}

/// The NFC text of a child, empty when absent.
fn text(el: &Element, local: &str) -> String {
    el.child(local).map(|c| nfc(&c.text())).unwrap_or_default()
}

fn invalid(element: &str, value: &str) -> Error {
    Error::InvalidValue {
        element: element.into(),
        value: value.into(),
    }
}

fn date(el: &Element, local: &str) -> Result<NaiveDate, Error> {
    let t = text(el, local);
    NaiveDate::parse_from_str(t.trim(), DATE_FORMAT).map_err(|_| invalid(local, &t))
}

fn opt_date(el: &Element, local: &str) -> Result<Option<NaiveDate>, Error> {
    match el.child(local) {
        None => Ok(None),
        Some(_) => date(el, local).map(Some),
    }
}

fn timestamp(el: &Element, local: &str) -> Result<NaiveDateTime, Error> {
    let t = text(el, local);
    NaiveDateTime::parse_from_str(t.trim(), TIMESTAMP_FORMAT).map_err(|_| invalid(local, &t))
}

fn small(el: &Element, local: &str) -> Result<Option<u8>, Error> {
    let t = text(el, local);
    if t.trim().is_empty() {
        return Ok(None);
    }
    t.trim()
        .parse::<u8>()
        .map(Some)
        .map_err(|_| invalid(local, &t))
}

fn read_org(e: &Element) -> Organization {
    Organization {
        organ_id: text(e, "OrganId"),
        organization_in_charge: text(e, "OrganizationInCharge"),
        organ_name: text(e, "OrganName"),
        organ_add: text(e, "OrganAdd"),
        email: text(e, "Email"),
        telephone: text(e, "Telephone"),
        fax: text(e, "Fax"),
        website: text(e, "Website"),
    }
}

fn read_staff(e: &Element) -> StaffInfo {
    StaffInfo {
        department: text(e, "Department"),
        staff: text(e, "Staff"),
        mobile: text(e, "Mobile"),
        email: text(e, "Email"),
    }
}

fn read_response_for(e: &Element) -> Result<ResponseFor, Error> {
    Ok(ResponseFor {
        organ_id: text(e, "OrganId"),
        code: text(e, "Code"),
        promulgation_date: date(e, "PromulgationDate")?,
        document_id: text(e, "DocumentId"),
    })
}

fn read_message_header(mh: &Element) -> Result<MessageHeader, Error> {
    let from = read_org(need(mh, "From", "MessageHeader")?);
    let to = mh.children_named("To").map(read_org).collect();
    let code_el = need(mh, "Code", "MessageHeader")?;
    let pi = need(mh, "PromulgationInfo", "MessageHeader")?;
    let dt = mh.child("DocumentType");
    let si = mh.child("SignerInfo");
    let other_info = match mh.child("OtherInfo") {
        None => OtherInfo::default(),
        Some(o) => {
            let p = small(o, "Priority")?.unwrap_or(0);
            let amount = |local: &str| -> Result<Option<u32>, Error> {
                let t = text(o, local);
                if t.trim().is_empty() {
                    Ok(None)
                } else {
                    t.trim()
                        .parse::<u32>()
                        .map(Some)
                        .map_err(|_| invalid(local, &t))
                }
            };
            let direction = text(o, "Direction");
            OtherInfo {
                priority: Priority::from_code(p)
                    .ok_or_else(|| invalid("Priority", &p.to_string()))?,
                sphere_of_promulgation: text(o, "SphereOfPromulgation"),
                typer_notation: text(o, "TyperNotation"),
                promulgation_amount: amount("PromulgationAmount")?,
                page_amount: amount("PageAmount")?,
                direction: matches!(direction.trim(), "true" | "1"),
                appendixes: o
                    .child("Appendixes")
                    .map(|a| {
                        a.children_named("Appendix")
                            .map(|x| nfc(&x.text()))
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        }
    };
    let steering_type = match small(mh, "SteeringType")? {
        None => None,
        Some(c) => Some(
            SteeringType::from_code(c).ok_or_else(|| invalid("SteeringType", &c.to_string()))?,
        ),
    };
    Ok(MessageHeader {
        from,
        to,
        document_id: text(mh, "DocumentId"),
        code: Code {
            code_number: text(code_el, "CodeNumber"),
            code_notation: text(code_el, "CodeNotation"),
        },
        promulgation_info: PromulgationInfo {
            place: text(pi, "Place"),
            promulgation_date: date(pi, "PromulgationDate")?,
        },
        document_type: dt
            .map(|d| DocumentType {
                type_code: text(d, "Type"),
                type_detail: text(d, "TypeDetail"),
                type_name: text(d, "TypeName"),
            })
            .unwrap_or_default(),
        subject: text(mh, "Subject"),
        content: text(mh, "Content"),
        signer_info: si
            .map(|s| SignerInfo {
                competence: text(s, "Competence"),
                position: text(s, "Position"),
                full_name: text(s, "FullName"),
            })
            .unwrap_or_default(),
        due_date: opt_date(mh, "DueDate")?,
        other_info,
        steering_type,
        to_places: mh
            .child("ToPlaces")
            .map(|t| t.children_named("Place").map(|p| nfc(&p.text())).collect())
            .unwrap_or_default(),
        response_for: mh
            .children_named("ResponseFor")
            .map(read_response_for)
            .collect::<Result<_, _>>()?,
    })
}

fn read_trace(t: &Element) -> Result<TraceHeaderList, Error> {
    let trace_headers = t
        .children_named("TraceHeader")
        .map(|th| {
            Ok(TraceHeader {
                organ_id: text(th, "OrganId"),
                timestamp: timestamp(th, "Timestamp")?,
            })
        })
        .collect::<Result<_, Error>>()?;
    let bussiness = match t.child("Bussiness") {
        None => None,
        Some(b) => {
            let c = small(b, "BussinessDocType")?.unwrap_or(0);
            Some(Bussiness {
                document_id: text(b, "DocumentId"),
                doc_type: BussinessDocType::from_code(c)
                    .ok_or_else(|| invalid("BussinessDocType", &c.to_string()))?,
                reason: text(b, "BussinessDocReason"),
                paper: matches!(text(b, "Paper").trim(), "1" | "true"),
                staff_info: b.child("StaffInfo").map(read_staff).unwrap_or_default(),
                document_info: b
                    .child("BussinessDocumentInfo")
                    .map(|d| BussinessDocumentInfo {
                        document_info: text(d, "DocumentInfo"),
                        document_receiver: text(d, "DocumentReceiver"),
                        receivers: d
                            .child("ReceiverList")
                            .map(|rl| {
                                rl.children_named("Receiver")
                                    .map(|r| Receiver {
                                        receiver_type: text(r, "ReceiverType"),
                                        organ_id: text(r, "OrganId"),
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    }),
                replacement_info: b
                    .child("ReplacementInfoList")
                    .map(|rl| {
                        rl.children_named("ReplacementInfo")
                            .map(|r| ReplacementInfo {
                                document_id: text(r, "DocumentId"),
                                organ_ids: r
                                    .child("OrganIdList")
                                    .map(|l| {
                                        l.children_named("OrganId")
                                            .map(|o| nfc(&o.text()))
                                            .collect()
                                    })
                                    .unwrap_or_default(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        }
    };
    Ok(TraceHeaderList {
        trace_headers,
        bussiness,
    })
}

fn read_attachments(root: &Element, limits: &Limits) -> Result<Vec<Attachment>, Error> {
    // Manifest entries by content id, for the fields an Attachment may lack.
    let manifest: Vec<&Element> = root
        .child("edXMLEnvelope")
        .and_then(|e| e.child("edXMLBody"))
        .and_then(|b| b.child("edXMLManifest"))
        .map(|m| m.children_named("Reference").collect())
        .unwrap_or_default();
    let encoded: Vec<&Element> = root
        .child("AttachmentEncoded")
        .map(|a| a.children_named("Attachment").collect())
        .unwrap_or_default();
    if encoded.len() > limits.max_attachments || manifest.len() > limits.max_attachments {
        return Err(Error::TooManyAttachments {
            limit: limits.max_attachments,
        });
    }
    let mut out = Vec::with_capacity(encoded.len());
    for a in encoded {
        let content_id = text(a, "ContentId");
        let reference = manifest.iter().find(|r| text(r, "ContentId") == content_id);
        let field = |local: &str| {
            let own = text(a, local);
            match (own.is_empty(), reference) {
                (true, Some(r)) => text(r, local),
                _ => own,
            }
        };
        let raw = a
            .child("ContentTransferEncoded")
            .map(|c| c.text())
            .unwrap_or_default();
        let compact: Vec<u8> = raw.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        let content = base64::engine::general_purpose::STANDARD
            .decode(&compact)
            .map_err(|_| Error::InvalidBase64 {
                content_id: content_id.clone(),
            })?;
        out.push(Attachment {
            content_type: field("ContentType"),
            description: field("Description"),
            attachment_name: field("AttachmentName"),
            content_id,
            content,
        });
    }
    Ok(out)
}
