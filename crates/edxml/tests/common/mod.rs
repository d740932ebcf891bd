//! Test helpers: a throw-away CA and signer (rcgen, RSA-2048), a sample package, and running
//! outside tools.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::disallowed_methods
)]

use chrono::{NaiveDate, NaiveDateTime};
use cqdt_edxml::*;
use der::Decode;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyUsagePurpose,
    PublicKeyData, SignatureAlgorithm, SigningKey,
};
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer as _};
use sha2::Sha256;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

struct RcgenRsa {
    key: RsaPrivateKey,
    public_der: Vec<u8>,
}

impl RcgenRsa {
    fn new() -> Self {
        let key = RsaPrivateKey::new(&mut rand_core_rng(), 2048).unwrap();
        let public_der = key
            .to_public_key()
            .to_pkcs1_der()
            .unwrap()
            .as_bytes()
            .to_vec();
        RcgenRsa { key, public_der }
    }
}

fn rand_core_rng() -> rsa::rand_core::OsRng {
    rsa::rand_core::OsRng
}

impl PublicKeyData for RcgenRsa {
    fn der_bytes(&self) -> &[u8] {
        &self.public_der
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

impl SigningKey for RcgenRsa {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let sk = rsa::pkcs1v15::SigningKey::<Sha256>::new(self.key.clone());
        Ok(sk.try_sign(msg).unwrap().to_vec())
    }
}

/// A test CA and a signer it issued.
pub struct Pki {
    pub ca_pem: String,
    pub ca_cert: x509_cert::Certificate,
    pub cert_pem: String,
    pub key_pem: String,
    pub signer: RsaSigner,
}

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let now = time::OffsetDateTime::now_utc();
        let ca_key = RcgenRsa::new();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "VN");
        dn.push(DnType::OrganizationName, "cqdt - Tây Ninh (TEST)");
        dn.push(DnType::CommonName, "Tây Ninh Test CA");
        let mut ca = CertificateParams::default();
        ca.distinguished_name = dn;
        ca.not_before = now - time::Duration::hours(1);
        ca.not_after = now + time::Duration::days(365);
        ca.serial_number = Some(rcgen::SerialNumber::from_slice(&[0x11, 0x22, 0x33]));
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_der = ca.self_signed(&ca_key).unwrap();
        let key = RcgenRsa::new();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "VN");
        dn.push(DnType::OrganizationName, "UBND tỉnh Tây Ninh");
        dn.push(DnType::CommonName, "Văn thư UBND tỉnh Tây Ninh");
        let mut leaf = CertificateParams::default();
        leaf.distinguished_name = dn;
        leaf.not_before = now - time::Duration::hours(1);
        leaf.not_after = now + time::Duration::days(30);
        leaf.serial_number = Some(rcgen::SerialNumber::from_slice(&[0x44, 0x55, 0x66]));
        leaf.is_ca = IsCa::ExplicitNoCa;
        leaf.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::ContentCommitment,
        ];
        let issuer = Issuer::from_params(&ca, &ca_key);
        let leaf_der = leaf.signed_by(&key, &issuer).unwrap();
        let cert = x509_cert::Certificate::from_der(leaf_der.der()).unwrap();
        let ca_cert = x509_cert::Certificate::from_der(ca_der.der()).unwrap();
        let key_pem = key.key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
        Pki {
            ca_cert: ca_cert.clone(),
            ca_pem: der::EncodePem::to_pem(&ca_cert, der::pem::LineEnding::LF).unwrap(),
            cert_pem: der::EncodePem::to_pem(&cert, der::pem::LineEnding::LF).unwrap(),
            signer: RsaSigner::new(key.key.clone(), cert.clone()).unwrap(),
            key_pem,
        }
    })
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn ts(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
    date(y, m, d).and_hms_opt(h, mi, s).unwrap()
}

pub fn org(id: &str, name: &str) -> Organization {
    Organization {
        organ_id: id.into(),
        organization_in_charge: name.into(),
        organ_name: name.into(),
        organ_add: "Số 83 Phạm Tung, Phường 3, TP. Tây Ninh".into(),
        email: "vanthu@tayninh.gov.vn".into(),
        telephone: "0276 3822 xxx".into(),
        fax: "".into(),
        website: "tayninh.gov.vn".into(),
    }
}

/// A package with a given attachment size.
pub fn sample_package(attachment_bytes: usize) -> Package {
    let code = Code {
        code_number: "1234".into(),
        code_notation: "UBND-VP".into(),
    };
    let d = date(2019, 3, 15);
    let content: Vec<u8> = (0..attachment_bytes)
        .map(|i| (i * 31 % 251) as u8)
        .collect();
    Package {
        header: MessageHeader {
            from: org("000.00.00.H53", "UBND tỉnh Tây Ninh"),
            to: vec![
                org("000.00.01.H53", "Sở Nội vụ tỉnh Tây Ninh"),
                org("000.00.30.H53", "UBND huyện Hòa Thành"),
            ],
            document_id: document_id("000.00.00.H53", d, &code),
            code,
            promulgation_info: PromulgationInfo {
                place: "Tây Ninh".into(),
                promulgation_date: d,
            },
            document_type: DocumentType {
                type_code: "1".into(),
                type_detail: "0".into(),
                type_name: "Công văn".into(),
            },
            subject: "V/v triển khai <hệ thống> quản lý văn bản & điều hành".into(),
            content: "Dòng 1\nDòng 2 \"trích\" 'dẫn'\tcó tab".into(),
            signer_info: SignerInfo {
                competence: "KT. CHỦ TỊCH".into(),
                position: "Phó Chủ tịch".into(),
                full_name: "Nguyễn Văn A".into(),
            },
            due_date: Some(date(2019, 3, 30)),
            other_info: OtherInfo {
                priority: Priority::Urgent,
                sphere_of_promulgation: "Liên thông văn bản quốc gia".into(),
                typer_notation: "NVB".into(),
                promulgation_amount: Some(10),
                page_amount: Some(3),
                direction: true,
                appendixes: vec!["Phụ lục I".into(), "Phụ lục II".into()],
            },
            steering_type: Some(SteeringType::Steering),
            to_places: vec!["Như trên".into(), "Lưu: VT".into()],
            response_for: vec![],
        },
        trace: TraceHeaderList {
            trace_headers: vec![TraceHeader {
                organ_id: "000.00.00.H53".into(),
                timestamp: ts(2019, 3, 15, 8, 30, 0),
            }],
            bussiness: Some(Bussiness {
                document_id: document_id(
                    "000.00.00.H53",
                    d,
                    &Code {
                        code_number: "1234".into(),
                        code_notation: "UBND-VP".into(),
                    },
                ),
                doc_type: BussinessDocType::New,
                reason: "Văn bản điện tử mới".into(),
                paper: false,
                staff_info: StaffInfo {
                    department: "Văn phòng".into(),
                    staff: "Trần Thị B".into(),
                    mobile: "0912000001".into(),
                    email: "vanthu@tayninh.gov.vn".into(),
                },
                document_info: None,
                replacement_info: vec![],
            }),
        },
        attachments: vec![Attachment {
            content_id: "cid:1".into(),
            content_type: "application/pdf".into(),
            description: "Công văn 1234".into(),
            attachment_name: "1234-UBND-VP.pdf".into(),
            content,
        }],
    }
}

pub fn tool(name: &str) -> bool {
    let found = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        eprintln!("skipped: {name} not installed");
    }
    found
}

pub fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "cqdt-edxml-{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}
