//! The provincial **test** certificate authority for the demo. Its certificates have no legal
//! value: the CA's name says "Test" and its organisational unit says so in both languages.

use super::{SignError, SoftwareSigner};
use cqdt_app::Clock;
use der::Decode;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyUsagePurpose, PublicKeyData, SanType,
    SerialNumber, SignatureAlgorithm, SigningKey,
};
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs1v15;
use rsa::pkcs8::EncodePublicKey;
use rsa::rand_core::{OsRng, RngCore};
use rsa::signature::{SignatureEncoding, Signer as _};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use x509_cert::Certificate;

const TEST_MARK: &str = "TEST - không có giá trị pháp lý / no legal value";

/// An RSA key as rcgen's signing key (rcgen is built without its own crypto backend).
struct RcgenRsa {
    key: RsaPrivateKey,
    public_der: Vec<u8>,
}

impl RcgenRsa {
    fn new(key: RsaPrivateKey) -> Result<Self, SignError> {
        let public_der = key
            .to_public_key()
            .to_pkcs1_der()
            .map_err(|e| SignError::Key(e.to_string()))?
            .as_bytes()
            .to_vec();
        Ok(RcgenRsa { key, public_der })
    }

    /// RFC 7093 method 1: the leftmost 160 bits of SHA-256 over the SubjectPublicKeyInfo.
    fn key_id(&self) -> Result<Vec<u8>, SignError> {
        let spki = self
            .key
            .to_public_key()
            .to_public_key_der()
            .map_err(|e| SignError::Key(e.to_string()))?;
        Ok(Sha256::digest(spki.as_bytes())[..20].to_vec())
    }
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
        let sk = pkcs1v15::SigningKey::<Sha256>::new(self.key.clone());
        sk.try_sign(msg)
            .map(|s| s.to_vec())
            .map_err(|_| rcgen::Error::RemoteKeyError)
    }
}

fn new_key() -> Result<RsaPrivateKey, SignError> {
    RsaPrivateKey::new(&mut OsRng, 2048).map_err(|e| SignError::Key(e.to_string()))
}

fn serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes[0] = (bytes[0] & 0x7f) | 0x01; // positive, no leading zero
    SerialNumber::from_slice(&bytes)
}

fn now_of(clock: &dyn Clock) -> Result<OffsetDateTime, SignError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(clock.now_us()) * 1000)
        .map_err(|e| SignError::Certificate(e.to_string()))
}

fn cert_err(e: rcgen::Error) -> SignError {
    SignError::Certificate(e.to_string())
}

fn base_params(
    now: OffsetDateTime,
    dn: DistinguishedName,
    key: &RcgenRsa,
    valid_days: i64,
) -> Result<CertificateParams, SignError> {
    let mut params = CertificateParams::default();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(valid_days);
    params.serial_number = Some(serial());
    params.distinguished_name = dn;
    params.key_identifier_method = KeyIdMethod::PreSpecified(key.key_id()?);
    Ok(params)
}

/// The demo's certificate authority ("Tây Ninh Test CA"): a self-signed RSA-2048 root that
/// issues personal and organisation signing certificates (RSA-2048, SHA-256).
pub struct TestCa {
    params: CertificateParams,
    key: RcgenRsa,
    cert: Certificate,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa")
            .field("subject", &self.cert.tbs_certificate.subject.to_string())
            .finish()
    }
}

impl TestCa {
    /// The provincial test CA, "Tây Ninh Test CA", valid ten years.
    pub fn tay_ninh(clock: Arc<dyn Clock>) -> Result<Self, SignError> {
        Self::generate("Tây Ninh Test CA", clock)
    }

    /// A new self-signed test root with the given common name (other names make other,
    /// unrelated CAs, e.g. for tests). Validity starts an hour before `clock`'s now; the
    /// certificates it issues get the same clock.
    pub fn generate(common_name: &str, clock: Arc<dyn Clock>) -> Result<Self, SignError> {
        let key = RcgenRsa::new(new_key()?)?;
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CountryName,
            DnValue::PrintableString("VN".try_into().map_err(cert_err)?),
        );
        dn.push(DnType::StateOrProvinceName, "Tây Ninh");
        dn.push(DnType::OrganizationName, "cqdt - Tây Ninh (TEST)");
        dn.push(DnType::OrganizationalUnitName, TEST_MARK);
        dn.push(DnType::CommonName, common_name);
        let mut params = base_params(now_of(clock.as_ref())?, dn, &key, 3650)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let der = params.self_signed(&key).map_err(cert_err)?;
        let cert = Certificate::from_der(der.der())?;
        Ok(TestCa {
            params,
            key,
            cert,
            clock,
        })
    }

    fn now(&self) -> Result<OffsetDateTime, SignError> {
        now_of(self.clock.as_ref())
    }

    /// The root certificate (the trust anchor to give to verifiers and `openssl -CAfile`).
    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }

    fn issue(
        &self,
        mut params: CertificateParams,
        key: RcgenRsa,
    ) -> Result<SoftwareSigner, SignError> {
        params.is_ca = IsCa::ExplicitNoCa;
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::ContentCommitment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::EmailProtection];
        let issuer = Issuer::from_params(&self.params, &self.key);
        let der = params.signed_by(&key, &issuer).map_err(cert_err)?;
        let cert = Certificate::from_der(der.der())?;
        Ok(SoftwareSigner::new(key.key, vec![cert, self.cert.clone()])?
            .with_clock(self.clock.clone()))
    }

    /// A personal signing certificate (the leader who signs), with the person's e-mail,
    /// valid two years.
    pub fn issue_personal(
        &self,
        full_name: &str,
        email: &str,
    ) -> Result<SoftwareSigner, SignError> {
        self.issue_personal_for(full_name, None, Some(email))
    }

    /// A personal signing certificate with the person's position (X.520 `title`) and, when
    /// given, e-mail (in the name and as subjectAltName), valid two years.
    pub fn issue_personal_for(
        &self,
        full_name: &str,
        position: Option<&str>,
        email: Option<&str>,
    ) -> Result<SoftwareSigner, SignError> {
        let key = RcgenRsa::new(new_key()?)?;
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CountryName,
            DnValue::PrintableString("VN".try_into().map_err(cert_err)?),
        );
        dn.push(DnType::StateOrProvinceName, "Tây Ninh");
        dn.push(DnType::OrganizationalUnitName, TEST_MARK);
        if let Some(position) = position.filter(|p| !p.trim().is_empty()) {
            dn.push(DnType::CustomDnType(vec![2, 5, 4, 12]), position);
        }
        dn.push(DnType::CommonName, full_name);
        if let Some(email) = email {
            // emailAddress (PKCS#9) in the name too, as Vietnamese CAs' personal certificates
            // have it.
            dn.push(
                DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]),
                DnValue::Ia5String(email.try_into().map_err(cert_err)?),
            );
        }
        let mut params = base_params(self.now()?, dn, &key, 730)?;
        if let Some(email) = email {
            params.subject_alt_names =
                vec![SanType::Rfc822Name(email.try_into().map_err(cert_err)?)];
        }
        self.issue(params, key)
    }

    /// An organisation certificate (the agency's seal): CN the agency's name, O the agency.
    pub fn issue_organisation(
        &self,
        common_name: &str,
        organisation: &str,
    ) -> Result<SoftwareSigner, SignError> {
        self.issue_organisation_for(common_name, organisation, None)
    }

    /// An organisation certificate with, when given, the agency's official identifier (mã định
    /// danh, `NNN.NN.NN.Xnn`) as the name's UID attribute.
    pub fn issue_organisation_for(
        &self,
        common_name: &str,
        organisation: &str,
        official_id: Option<&str>,
    ) -> Result<SoftwareSigner, SignError> {
        let key = RcgenRsa::new(new_key()?)?;
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CountryName,
            DnValue::PrintableString("VN".try_into().map_err(cert_err)?),
        );
        dn.push(DnType::StateOrProvinceName, "Tây Ninh");
        dn.push(DnType::OrganizationName, organisation);
        dn.push(DnType::OrganizationalUnitName, TEST_MARK);
        if let Some(id) = official_id.filter(|i| !i.trim().is_empty()) {
            dn.push(
                DnType::CustomDnType(vec![0, 9, 2342, 19200300, 100, 1, 1]),
                id,
            );
        }
        dn.push(DnType::CommonName, common_name);
        let params = base_params(self.now()?, dn, &key, 730)?;
        self.issue(params, key)
    }

    /// A CA saved earlier, from its key and self-signed certificate: it issues certificates
    /// that chain to that same certificate (same subject, same key identifier).
    pub fn from_parts(
        key: RsaPrivateKey,
        cert: Certificate,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SignError> {
        if super::software::public_key_of(&cert)? != key.to_public_key() {
            return Err(SignError::Invalid(
                "the CA key does not match its certificate".into(),
            ));
        }
        if cert.tbs_certificate.issuer != cert.tbs_certificate.subject {
            return Err(SignError::Invalid(
                "the CA certificate is not self-signed".into(),
            ));
        }
        let key = RcgenRsa::new(key)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen_name(&cert.tbs_certificate.subject)?;
        params.key_identifier_method = KeyIdMethod::PreSpecified(key.key_id()?);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        Ok(TestCa {
            params,
            key,
            cert,
            clock,
        })
    }

    /// The CA's key and certificate as a PKCS#12 file protected by `password`.
    pub fn to_pkcs12(&self, password: &str) -> Result<Vec<u8>, SignError> {
        SoftwareSigner::new(self.key.key.clone(), vec![self.cert.clone()])?.to_pkcs12(password)
    }

    /// A CA saved with [`TestCa::to_pkcs12`].
    pub fn from_pkcs12(
        p12: &[u8],
        password: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SignError> {
        let s = SoftwareSigner::from_pkcs12(p12, password)?;
        let cert = s
            .chain()
            .first()
            .cloned()
            .ok_or_else(|| SignError::Pkcs12("no certificate".into()))?;
        Self::from_parts(s.key().clone(), cert, clock)
    }
}

/// An X.509 name as rcgen's, attribute by attribute in order (single-valued RDNs only), so that
/// certificates issued by a reloaded CA name it exactly as its certificate does.
fn rcgen_name(name: &x509_cert::name::Name) -> Result<DistinguishedName, SignError> {
    let mut dn = DistinguishedName::new();
    for rdn in name.0.iter() {
        let mut atvs = rdn.0.iter();
        let (Some(atv), None) = (atvs.next(), atvs.next()) else {
            return Err(SignError::Invalid(
                "multi-valued or empty RDN in the CA name".into(),
            ));
        };
        let arcs: Vec<u64> = atv.oid.arcs().map(u64::from).collect();
        let text = std::str::from_utf8(atv.value.value())
            .map_err(|_| SignError::Invalid("a CA name attribute is not text".into()))?;
        let value = match der::Tagged::tag(&atv.value) {
            der::Tag::Utf8String => DnValue::Utf8String(text.to_string()),
            der::Tag::PrintableString => {
                DnValue::PrintableString(text.try_into().map_err(cert_err)?)
            }
            der::Tag::Ia5String => DnValue::Ia5String(text.try_into().map_err(cert_err)?),
            t => {
                return Err(SignError::Invalid(format!(
                    "unsupported string type {t} in the CA name"
                )));
            }
        };
        dn.push(DnType::from_oid(&arcs), value);
    }
    Ok(dn)
}
