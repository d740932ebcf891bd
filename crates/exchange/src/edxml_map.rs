//! The app's package ([`ReceivedPackage`]) ⇄ the edXML model ([`cqdt_edxml::Package`]).
//!
//! Outgoing: `From` is the issuing agency (identifier, name), `To` the recipient, `Code` the
//! number split at its first `/` (`05` / `QĐ-UBND`), `PromulgationInfo` the place (configured,
//! "Tây Ninh" by default) and the issue date, `DocumentType` our type code in `TypeDetail` and
//! its name in `TypeName` (the standard's numeric `Type` table is unverified, so `Type` is
//! empty), `SignerInfo` from the signer, `DueDate`, `OtherInfo/Priority` from the urgency,
//! `SteeringType` 0 (the platform does not record directives), `ToPlaces` the recipient's
//! name; `TraceHeaderList` one `TraceHeader` (the sender, now) and `Bussiness` with the
//! package's [`PackageBusiness`]: 0 new, 1 revocation (with `BussinessDocReason`; `ResponseFor`
//! names the revoked document), 2 update, 3 replacement (`ReplacementInfoList/ReplacementInfo`
//! with the replaced DocumentId and the organisations that had it).
//! Files: the main file first, then the attachments, then the signer's and the agency's
//! detached CMS signatures (`.p7s`) as attachments of their own — edXML has no element for a
//! detached signature over one attachment, so they are told apart by `Description`
//! ([`DESC_SIGNER_SIGNATURE`], [`DESC_AGENCY_SIGNATURE`]) and, from other systems, by the
//! `.p7s` extension. Secrecy is not carried: secret documents never go over the exchange (and
//! the sample's `OtherInfo` has no secrecy element).
//!
//! Incoming: the reverse; the type is found by `TypeName` (then `khac`), the first file not a
//! signature is the main one unless one is described as main.

use chrono::{NaiveDate, NaiveDateTime};
use cqdt_app::documents::{DocFileKind, PackageBusiness, PackageFile, ReceivedPackage};
use cqdt_domain::document::SignerInfo;
use cqdt_domain::ids::{AgencyId, DocumentId};
use cqdt_edxml::{
    Attachment, Bussiness, BussinessDocType, Code, DocumentType, MessageHeader, Organization,
    OtherInfo, Package, Priority, PromulgationInfo, ReplacementInfo, ResponseFor, SteeringType,
    TraceHeader, TraceHeaderList,
};

/// `Description` of the main file.
pub const DESC_MAIN: &str = "Văn bản chính";
/// `Description` of an attachment.
pub const DESC_ATTACHMENT: &str = "Tệp đính kèm";
/// `Description` of the signer's detached signature over the main file.
pub const DESC_SIGNER_SIGNATURE: &str =
    "Chữ ký số của người ký (CMS, tách rời, trên văn bản chính)";
/// `Description` of the agency's detached signature over the main file.
pub const DESC_AGENCY_SIGNATURE: &str =
    "Chữ ký số của cơ quan ban hành (CMS, tách rời, trên văn bản chính)";
/// The sphere of promulgation written on packages.
pub const SPHERE: &str = "Liên thông văn bản điện tử";

/// An organisation with just its identifier and name (the platform keeps no address, e-mail
/// or telephone of agencies).
pub fn organization(identifier: &str, name: &str) -> Organization {
    Organization {
        organ_id: identifier.to_string(),
        organ_name: name.to_string(),
        ..Organization::default()
    }
}

/// The media type written in the manifest, by extension.
pub fn content_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "doc" => "application/msword",
        "xls" => "application/vnd.ms-excel",
        "odt" => "application/vnd.oasis.opendocument.text",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "tif" | "tiff" => "image/tiff",
        "p7s" => "application/pkcs7-signature",
        _ => "application/octet-stream",
    }
}

fn description(kind: DocFileKind) -> &'static str {
    match kind {
        DocFileKind::Main | DocFileKind::SignedPdf | DocFileKind::IssuedPdf => DESC_MAIN,
        DocFileKind::SignerSignature => DESC_SIGNER_SIGNATURE,
        DocFileKind::AgencySignature => DESC_AGENCY_SIGNATURE,
        DocFileKind::Attachment | DocFileKind::Scan => DESC_ATTACHMENT,
    }
}

/// `05/QĐ-UBND` → (`05`, `QĐ-UBND`); without a `/`, all of it is the number.
pub fn split_number(full: &str) -> Code {
    match full.split_once('/') {
        Some((n, k)) => Code {
            code_number: n.trim().to_string(),
            code_notation: k.trim().to_string(),
        },
        None => Code {
            code_number: full.trim().to_string(),
            code_notation: String::new(),
        },
    }
}

/// The edXML package for `p`, addressed to `to`. `now` is the sender's local time (the trace
/// header's timestamp); `place` the place of promulgation.
pub fn to_package(
    p: &ReceivedPackage,
    to: Organization,
    place: &str,
    now: NaiveDateTime,
) -> Package {
    let date = p.promulgation_date.unwrap_or_else(|| now.date());
    let signer = p.signer.clone().unwrap_or(SignerInfo {
        competence: None,
        position: None,
        full_name: String::new(),
    });
    let to_name = to.organ_name.clone();
    let mut files: Vec<&PackageFile> = p.files.iter().collect();
    // Main first, then attachments, then signatures (stable within each).
    files.sort_by_key(|f| match f.kind {
        DocFileKind::Main | DocFileKind::SignedPdf | DocFileKind::IssuedPdf => 0,
        DocFileKind::Attachment | DocFileKind::Scan => 1,
        DocFileKind::SignerSignature => 2,
        DocFileKind::AgencySignature => 3,
    });
    Package {
        header: MessageHeader {
            from: organization(&p.from_identifier, &p.from_name),
            to: vec![to],
            document_id: p.edxml_document_id.clone(),
            code: split_number(&p.number),
            promulgation_info: PromulgationInfo {
                place: place.to_string(),
                promulgation_date: date,
            },
            document_type: DocumentType {
                type_code: String::new(),
                type_detail: p.type_code.clone().unwrap_or_default(),
                type_name: p.type_name.clone(),
            },
            subject: p.subject.clone(),
            content: String::new(),
            signer_info: cqdt_edxml::SignerInfo {
                competence: signer.competence.unwrap_or_default(),
                position: signer.position.unwrap_or_default(),
                full_name: signer.full_name,
            },
            due_date: p.due_date,
            other_info: OtherInfo {
                priority: Priority::from_code(p.priority).unwrap_or_default(),
                sphere_of_promulgation: SPHERE.to_string(),
                ..OtherInfo::default()
            },
            steering_type: Some(SteeringType::NotSteering),
            to_places: vec![to_name],
            response_for: match &p.business {
                PackageBusiness::Revoke { .. } => vec![ResponseFor {
                    organ_id: p.from_identifier.clone(),
                    code: p.number.clone(),
                    promulgation_date: date,
                    document_id: p.edxml_document_id.clone(),
                }],
                _ => vec![],
            },
        },
        trace: TraceHeaderList {
            trace_headers: vec![TraceHeader {
                organ_id: p.from_identifier.clone(),
                timestamp: now,
            }],
            bussiness: Some(Bussiness {
                document_id: p.edxml_document_id.clone(),
                doc_type: BussinessDocType::from_code(p.business.code()).unwrap_or_default(),
                reason: p.business.reason().to_string(),
                replacement_info: match &p.business {
                    PackageBusiness::Replace {
                        replaces,
                        organ_ids,
                        ..
                    } => replaces
                        .iter()
                        .map(|d| ReplacementInfo {
                            document_id: d.clone(),
                            organ_ids: organ_ids.clone(),
                        })
                        .collect(),
                    _ => vec![],
                },
                ..Bussiness::default()
            }),
        },
        attachments: files
            .iter()
            .enumerate()
            .map(|(i, f)| Attachment {
                content_id: format!("cid:{}", i + 1),
                content_type: content_type(&f.name).to_string(),
                description: description(f.kind).to_string(),
                attachment_name: f.name.clone(),
                content: f.bytes.clone(),
            })
            .collect(),
    }
}

fn kind_of(a: &Attachment) -> DocFileKind {
    let name = a.attachment_name.to_ascii_lowercase();
    match a.description.as_str() {
        DESC_MAIN => DocFileKind::Main,
        DESC_SIGNER_SIGNATURE => DocFileKind::SignerSignature,
        DESC_AGENCY_SIGNATURE => DocFileKind::AgencySignature,
        _ if name.ends_with(".signer.p7s") => DocFileKind::SignerSignature,
        _ if name.ends_with(".p7s") || name.ends_with(".p7m") => DocFileKind::AgencySignature,
        _ => DocFileKind::Attachment,
    }
}

/// The arrived document's data from a verified package, for the agency `to_agency` (one of
/// the package's `To`). `sender_document_id`: the sender's document when it is on the platform.
pub fn from_package(
    p: &Package,
    to_agency: AgencyId,
    sender_document_id: Option<DocumentId>,
) -> ReceivedPackage {
    let h = &p.header;
    let number = if h.code.code_notation.is_empty() {
        h.code.code_number.clone()
    } else {
        format!("{}/{}", h.code.code_number, h.code.code_notation)
    };
    let s = &h.signer_info;
    let signer = (!s.full_name.trim().is_empty()).then(|| SignerInfo {
        competence: Some(s.competence.clone()).filter(|c| !c.trim().is_empty()),
        position: Some(s.position.clone()).filter(|c| !c.trim().is_empty()),
        full_name: s.full_name.clone(),
    });
    ReceivedPackage {
        edxml_document_id: target_document_id(p),
        to_agency,
        from_identifier: h.from.organ_id.clone(),
        from_name: h.from.organ_name.clone(),
        number,
        promulgation_date: Some(h.promulgation_info.promulgation_date),
        // Found by name: the numeric `Type` tables are unverified, and another system's
        // `TypeDetail` is not our code.
        type_code: None,
        type_name: h.document_type.type_name.clone(),
        subject: h.subject.clone(),
        signer,
        priority: h.other_info.priority.code(),
        due_date: h.due_date,
        sender_document_id,
        files: p
            .attachments
            .iter()
            .map(|a| PackageFile {
                name: a.attachment_name.clone(),
                bytes: a.content.clone(),
                text: None,
                kind: kind_of(a),
            })
            .collect(),
        business: business_of(p),
    }
}

/// The DocumentId a package acts on: its own for a new document or a replacement; for a
/// revocation the revoked one (`ResponseFor`, else `Bussiness/DocumentId`, else its own), for
/// an update `Bussiness/DocumentId` (else its own). Other systems differ on where they put it.
pub fn target_document_id(p: &Package) -> String {
    let own = p.header.document_id.clone();
    let Some(b) = &p.trace.bussiness else {
        return own;
    };
    let nonempty = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    match b.doc_type {
        BussinessDocType::New | BussinessDocType::Replace => own,
        BussinessDocType::Revoke => p
            .header
            .response_for
            .iter()
            .find_map(|r| nonempty(&r.document_id))
            .or_else(|| nonempty(&b.document_id))
            .unwrap_or(own),
        BussinessDocType::Update => nonempty(&b.document_id).unwrap_or(own),
    }
}

/// What a package does, from its `Bussiness` (none: a new document).
pub fn business_of(p: &Package) -> PackageBusiness {
    let Some(b) = &p.trace.bussiness else {
        return PackageBusiness::New;
    };
    let reason = b.reason.trim().to_string();
    match b.doc_type {
        BussinessDocType::New => PackageBusiness::New,
        BussinessDocType::Revoke => PackageBusiness::Revoke { reason },
        BussinessDocType::Update => PackageBusiness::Update { reason },
        BussinessDocType::Replace => PackageBusiness::Replace {
            reason,
            replaces: b
                .replacement_info
                .iter()
                .map(|r| r.document_id.clone())
                .collect(),
            organ_ids: b
                .replacement_info
                .iter()
                .flat_map(|r| r.organ_ids.iter().cloned())
                .collect(),
        },
    }
}

/// The date and the `number/notation` of an edXML DocumentId, when it has the standard form.
pub fn id_parts(document_id: &str) -> Option<(NaiveDate, String)> {
    let (_, date, number, notation) = cqdt_edxml::parse_document_id(document_id)?;
    Some((date, format!("{number}/{notation}")))
}
