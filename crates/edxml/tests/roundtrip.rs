//! Build → parse round trips, status messages, NFC, and a package shaped like the published
//! VPCP sample.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod common;

use common::*;
use cqdt_edxml::*;
use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;

#[test]
fn sample_package_round_trips() {
    for size in [0, 1, 3, 1000] {
        let p = sample_package(size);
        let xml = p.to_xml();
        assert_eq!(Package::from_xml(&xml).unwrap(), p);
    }
    let mut p = sample_package(10);
    p.attachments.clear();
    assert_eq!(Package::from_xml(&p.to_xml()).unwrap(), p);
}

#[test]
fn element_names_and_namespace_follow_the_standard() {
    let xml = String::from_utf8(sample_package(3).to_xml()).unwrap();
    for needle in [
        "<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">",
        "<edXML:edXMLEnvelope xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">",
        "<edXML:DocumentId>000.00.00.H53,2019/03/15,1234/UBND-VP</edXML:DocumentId>",
        "<edXML:PromulgationDate>2019/03/15</edXML:PromulgationDate>",
        "<edXML:Timestamp>2019/03/15 08:30:00</edXML:Timestamp>",
        "<edXML:Bussiness>",
        "<edXML:BussinessDocType>0</edXML:BussinessDocType>",
        "<edXML:TyperNotation>NVB</edXML:TyperNotation>",
        "<edXML:Priority>1</edXML:Priority>",
        "<edXML:edXMLManifest version=\"1.0\">",
        "<AttachmentEncoded>",
        "<edXML:ContentTransferEncoded xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">",
        "V/v triển khai &lt;hệ thống&gt; quản lý văn bản &amp; điều hành",
    ] {
        assert!(xml.contains(needle), "missing {needle}\n{xml}");
    }
}

#[test]
fn bussiness_kinds_round_trip() {
    for (kind, code) in [
        (BussinessDocType::New, 0),
        (BussinessDocType::Revoke, 1),
        (BussinessDocType::Update, 2),
        (BussinessDocType::Replace, 3),
    ] {
        assert_eq!(kind.code(), code);
        let mut p = sample_package(5);
        let b = p.trace.bussiness.as_mut().unwrap();
        b.doc_type = kind;
        b.paper = true;
        if kind == BussinessDocType::Update {
            b.document_info = Some(BussinessDocumentInfo {
                document_info: "1".into(),
                document_receiver: "1".into(),
                receivers: vec![Receiver {
                    receiver_type: "1".into(),
                    organ_id: "000.00.30.H53".into(),
                }],
            });
        }
        if kind == BussinessDocType::Replace {
            b.replacement_info = vec![ReplacementInfo {
                document_id: "000.00.00.H53,2019/03/01,1200/UBND-VP".into(),
                organ_ids: vec!["000.00.01.H53".into(), "000.00.30.H53".into()],
            }];
        }
        p.header.response_for = vec![ResponseFor {
            organ_id: "000.00.01.H53".into(),
            code: "15/SNV-VP".into(),
            promulgation_date: date(2019, 3, 1),
            document_id: "000.00.01.H53,2019/03/01,15/SNV-VP".into(),
        }];
        let xml = p.to_xml();
        assert_eq!(Package::from_xml(&xml).unwrap(), p, "{kind:?}");
    }
}

#[test]
fn status_messages_round_trip() {
    let codes = [
        (StatusCode::Arrived, "01"),
        (StatusCode::Rejected, "02"),
        (StatusCode::Accepted, "03"),
        (StatusCode::Assigned, "04"),
        (StatusCode::Processing, "05"),
        (StatusCode::Done, "06"),
        (StatusCode::RecallRequested, "13"),
        (StatusCode::RecallAgreed, "15"),
        (StatusCode::RecallRefused, "16"),
    ];
    for (code, s) in codes {
        assert_eq!(code.code(), s);
        assert_eq!(StatusCode::from_code(s), Some(code));
        let st = StatusMessage {
            from: org("000.00.30.H53", "UBND huyện Hòa Thành"),
            response_for: ResponseFor {
                organ_id: "000.00.00.H53".into(),
                code: "1234/UBND-VP".into(),
                promulgation_date: date(2019, 3, 15),
                document_id: "000.00.00.H53,2019/03/15,1234/UBND-VP".into(),
            },
            staff_info: StaffInfo {
                department: "Văn thư".into(),
                staff: "Lê Văn C".into(),
                mobile: "0912".into(),
                email: "c@tayninh.gov.vn".into(),
            },
            status_code: code,
            description: code.description_vi().into(),
            timestamp: ts(2019, 3, 16, 14, 5, 9),
        };
        let xml = st.to_xml();
        assert!(
            String::from_utf8_lossy(&xml)
                .contains(&format!("<edXML:StatusCode>{s}</edXML:StatusCode>"))
        );
        assert_eq!(StatusMessage::from_xml(&xml).unwrap(), st);
    }
    assert_eq!(StatusCode::from_code("07"), None);
}

#[test]
fn document_id_composes_and_parses() {
    let code = Code {
        code_number: "7816".into(),
        code_notation: "VPCP-TTĐT".into(),
    };
    let id = document_id("000.00.00.G22", date(2015, 9, 30), &code);
    assert_eq!(id, "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT");
    let (o, d, n, k) = parse_document_id(&id).unwrap();
    assert_eq!(
        (o.as_str(), d, n.as_str(), k.as_str()),
        ("000.00.00.G22", date(2015, 9, 30), "7816", "VPCP-TTĐT")
    );
    assert!(parse_document_id("nonsense").is_none());
}

#[test]
fn text_is_nfc_normalised_on_the_way_in() {
    let p = sample_package(1);
    let xml = String::from_utf8(p.to_xml()).unwrap();
    let nfd: String = xml.nfd().collect();
    assert_ne!(nfd, xml);
    let parsed = Package::from_xml(nfd.as_bytes()).unwrap();
    assert_eq!(parsed, p);
}

#[test]
fn bad_dates_and_codes_are_refused() {
    let xml = String::from_utf8(sample_package(1).to_xml()).unwrap();
    let bad = xml.replace(
        "<edXML:PromulgationDate>2019/03/15",
        "<edXML:PromulgationDate>2019-03-15",
    );
    assert_eq!(
        Package::from_xml(bad.as_bytes()).unwrap_err().kind(),
        "InvalidValue"
    );
    let bad = xml.replace("<edXML:Priority>1<", "<edXML:Priority>9<");
    assert_eq!(
        Package::from_xml(bad.as_bytes()).unwrap_err().kind(),
        "InvalidValue"
    );
    let bad = xml.replace("<edXML:BussinessDocType>0<", "<edXML:BussinessDocType>7<");
    assert_eq!(
        Package::from_xml(bad.as_bytes()).unwrap_err().kind(),
        "InvalidValue"
    );
    let bad = xml.replace("edXMLEnvelope", "Envelope");
    assert_eq!(
        Package::from_xml(bad.as_bytes()).unwrap_err().kind(),
        "MissingElement"
    );
}

/// Shaped like the published VPCP SDK sample `edoc_new.edxml` (standards.md §5): CRLF line
/// ends, empty-element tags, the old rsa-sha1 signature block (its certificate truncated, as
/// published), the attachment outside the envelope.
const VPCP_LIKE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">\r\n  <edXML:edXMLEnvelope xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">\r\n    <edXML:edXMLHeader>\r\n      <edXML:MessageHeader>\r\n        <edXML:From>\r\n          <edXML:OrganId>000.00.00.G22</edXML:OrganId>\r\n          <edXML:OrganizationInCharge>Văn phòng Chính phủ</edXML:OrganizationInCharge>\r\n          <edXML:OrganName>Văn phòng Chính phủ</edXML:OrganName>\r\n          <edXML:OrganAdd>Số 1 Hoàng Hoa Thám, Quận Ba Đình, Hà Nội</edXML:OrganAdd>\r\n          <edXML:Email>vpcp@gov.vn</edXML:Email>\r\n          <edXML:Telephone>8043100</edXML:Telephone>\r\n          <edXML:Fax>048989898789</edXML:Fax>\r\n          <edXML:Website>vpcp.vn</edXML:Website>\r\n        </edXML:From>\r\n        <edXML:To>\r\n          <edXML:OrganId>000.00.00.H53</edXML:OrganId>\r\n          <edXML:OrganizationInCharge/>\r\n          <edXML:OrganName>UBND tỉnh Tây Ninh</edXML:OrganName>\r\n          <edXML:OrganAdd/>\r\n          <edXML:Email/>\r\n          <edXML:Telephone/>\r\n          <edXML:Fax/>\r\n          <edXML:Website/>\r\n        </edXML:To>\r\n        <edXML:DocumentId>000.00.00.G22,2015/09/30,7816/VPCP-TTĐT</edXML:DocumentId>\r\n        <edXML:Code>\r\n          <edXML:CodeNumber>7816</edXML:CodeNumber>\r\n          <edXML:CodeNotation>VPCP-TTĐT</edXML:CodeNotation>\r\n        </edXML:Code>\r\n        <edXML:PromulgationInfo>\r\n          <edXML:Place>Hà Nội</edXML:Place>\r\n          <edXML:PromulgationDate>2015/09/30</edXML:PromulgationDate>\r\n        </edXML:PromulgationInfo>\r\n        <edXML:DocumentType>\r\n          <edXML:Type>1</edXML:Type>\r\n          <edXML:TypeDetail>0</edXML:TypeDetail>\r\n          <edXML:TypeName>Công văn</edXML:TypeName>\r\n        </edXML:DocumentType>\r\n        <edXML:Subject>V/v kết nối, liên thông phần mềm quản lý văn bản</edXML:Subject>\r\n        <edXML:Content>V/v kết nối, liên thông phần mềm quản lý văn bản</edXML:Content>\r\n        <edXML:SignerInfo>\r\n          <edXML:Competence>TL. BỘ TRƯỞNG</edXML:Competence>\r\n          <edXML:Position>Cục trưởng Cục Ứng dụng công nghệ thông tin</edXML:Position>\r\n          <edXML:FullName>Nguyễn Thành Phúc</edXML:FullName>\r\n        </edXML:SignerInfo>\r\n        <edXML:DueDate>2015/10/15</edXML:DueDate>\r\n        <edXML:OtherInfo>\r\n          <edXML:Priority>0</edXML:Priority>\r\n          <edXML:SphereOfPromulgation>Liên thông văn bản quốc gia</edXML:SphereOfPromulgation>\r\n          <edXML:TyperNotation>TVC</edXML:TyperNotation>\r\n          <edXML:PromulgationAmount>2</edXML:PromulgationAmount>\r\n          <edXML:PageAmount>22</edXML:PageAmount>\r\n          <edXML:Direction>false</edXML:Direction>\r\n          <edXML:Appendixes>\r\n            <edXML:Appendix>Công văn về việc kết nối, liên thông phần mềm quản lý văn bản</edXML:Appendix>\r\n          </edXML:Appendixes>\r\n        </edXML:OtherInfo>\r\n        <edXML:SteeringType>1</edXML:SteeringType>\r\n        <edXML:ToPlaces>\r\n          <edXML:Place>Các bộ và cơ quan ngang bộ</edXML:Place>\r\n          <edXML:Place>Ủy ban nhân dân các tỉnh, TP</edXML:Place>\r\n        </edXML:ToPlaces>\r\n      </edXML:MessageHeader>\r\n      <edXML:TraceHeaderList>\r\n        <edXML:TraceHeader>\r\n          <edXML:OrganId>000.00.00.G22</edXML:OrganId>\r\n          <edXML:Timestamp>2015/09/30 10:15:00</edXML:Timestamp>\r\n        </edXML:TraceHeader>\r\n        <edXML:Bussiness>\r\n          <edXML:DocumentId>000.00.00.G22,2015/09/30,7816/VPCP-TTĐT</edXML:DocumentId>\r\n          <edXML:BussinessDocType>0</edXML:BussinessDocType>\r\n          <edXML:BussinessDocReason>Văn bản điện tử mới</edXML:BussinessDocReason>\r\n          <edXML:Paper>0</edXML:Paper>\r\n          <edXML:StaffInfo>\r\n            <edXML:Department>Văn thư văn phòng</edXML:Department>\r\n            <edXML:Staff>Nguyễn Thị Ngọc Trâm</edXML:Staff>\r\n            <edXML:Email>vanthuvanphong@gov.vn</edXML:Email>\r\n            <edXML:Mobile>84912000001</edXML:Mobile>\r\n          </edXML:StaffInfo>\r\n        </edXML:Bussiness>\r\n      </edXML:TraceHeaderList>\r\n      <Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">\r\n        <SignedInfo>\r\n          <CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\" />\r\n          <SignatureMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#rsa-sha1\" />\r\n          <Reference URI=\"\">\r\n            <Transforms>\r\n              <Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\" />\r\n              <Transform Algorithm=\"http://www.w3.org/TR/xml-exc-c14n#\" />\r\n            </Transforms>\r\n            <DigestMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#sha1\" />\r\n            <DigestValue>FwgIqsSYJshUS2+wlOM61L+q7Aw=</DigestValue>\r\n          </Reference>\r\n        </SignedInfo>\r\n        <SignatureValue>GbVb8n9+qFxz466Ag0sbpVdLPs2R0+9JBekp12UyarAZjoG0W/kPZZJ1auRZDcNc</SignatureValue>\r\n        <KeyInfo>\r\n          <X509Data>\r\n            <X509SubjectName>CN=user05</X509SubjectName>\r\n            <X509Certificate>MIIFqTCCBJG</X509Certificate>\r\n          </X509Data>\r\n        </KeyInfo>\r\n      </Signature>\r\n    </edXML:edXMLHeader>\r\n    <edXML:edXMLBody>\r\n      <edXML:edXMLManifest version=\"1.0\">\r\n        <edXML:Reference>\r\n          <edXML:ContentId>cid:209</edXML:ContentId>\r\n          <edXML:ContentType>application/zip</edXML:ContentType>\r\n          <edXML:Description>1896_QD-TTg_m_294779.doc</edXML:Description>\r\n          <edXML:AttachmentName>1896_QD-TTg_m_294779.doc</edXML:AttachmentName>\r\n        </edXML:Reference>\r\n      </edXML:edXMLManifest>\r\n    </edXML:edXMLBody>\r\n  </edXML:edXMLEnvelope>\r\n  <AttachmentEncoded>\r\n    <Attachment>\r\n      <ContentId>cid:209</ContentId>\r\n      <AttachmentName>1896_QD-TTg_m_294779.doc</AttachmentName>\r\n      <Description>1896_QD-TTg_m_294779.doc</Description>\r\n      <ContentType>application/zip</ContentType>\r\n      <edXML:ContentTransferEncoded xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">UEsDBBQACAgIAEuSPE0AAAAA\r\nAAAAAAAAAAAq</edXML:ContentTransferEncoded>\r\n    </Attachment>\r\n  </AttachmentEncoded>\r\n</edXML>\r\n";

#[test]
fn parses_a_package_like_the_published_vpcp_sample() {
    let p = Package::from_xml(VPCP_LIKE.as_bytes()).unwrap();
    let h = &p.header;
    assert_eq!(h.from.organ_id, "000.00.00.G22");
    assert_eq!(h.to.len(), 1);
    assert_eq!(h.to[0].organ_name, "UBND tỉnh Tây Ninh");
    assert_eq!(h.to[0].fax, "");
    assert_eq!(h.document_id, "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT");
    assert_eq!(h.code.code_notation, "VPCP-TTĐT");
    assert_eq!(h.promulgation_info.promulgation_date, date(2015, 9, 30));
    assert_eq!(h.document_type.type_name, "Công văn");
    assert_eq!(h.signer_info.competence, "TL. BỘ TRƯỞNG");
    assert_eq!(h.due_date, Some(date(2015, 10, 15)));
    assert_eq!(h.other_info.priority, Priority::Normal);
    assert_eq!(h.other_info.page_amount, Some(22));
    assert_eq!(h.other_info.appendixes.len(), 1);
    assert_eq!(h.steering_type, Some(SteeringType::Steering));
    assert_eq!(h.to_places.len(), 2);
    assert_eq!(
        p.trace.trace_headers[0].timestamp,
        ts(2015, 9, 30, 10, 15, 0)
    );
    let b = p.trace.bussiness.as_ref().unwrap();
    assert_eq!(b.doc_type, BussinessDocType::New);
    assert_eq!(b.staff_info.mobile, "84912000001");
    assert_eq!(p.attachments.len(), 1);
    assert_eq!(p.attachments[0].content_id, "cid:209");
    assert_eq!(&p.attachments[0].content[..4], b"PK\x03\x04");
    // The published certificate is truncated: a clear error, no panic.
    assert_eq!(
        verify(VPCP_LIKE.as_bytes()).unwrap_err().kind(),
        "Certificate"
    );
    // And our own build of it round trips.
    assert_eq!(Package::from_xml(&p.to_xml()).unwrap(), p);
}

fn text_strategy() -> impl Strategy<Value = String> {
    proptest::string::string_regex(
        "[a-zA-Z0-9 àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễđĐƯư<>&\"'\\t\\r\\n/.,;:-]{0,40}",
    )
    .unwrap()
    .prop_map(|s| s.nfc().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_text_round_trips(
        subject in text_strategy(),
        content in text_strategy(),
        name in text_strategy(),
        places in proptest::collection::vec(text_strategy(), 0..4),
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
        priority in 0u8..5,
        amount in proptest::option::of(0u32..10_000),
    ) {
        let mut p = sample_package(0);
        p.header.subject = subject;
        p.header.content = content;
        p.header.signer_info.full_name = name.clone();
        p.header.to_places = places;
        p.header.other_info.priority = Priority::from_code(priority).unwrap();
        p.header.other_info.page_amount = amount;
        p.attachments[0].content = bytes;
        p.attachments[0].description = name;
        let xml = p.to_xml();
        prop_assert_eq!(Package::from_xml(&xml).unwrap(), p);
    }
}
