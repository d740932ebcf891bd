//! Building detached CMS SignedData by hand from the `cms` crate's types, so that the raw
//! signature can come from anywhere (software key, token, service).

use super::{SignError, Signer};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::db::rfc5911::{
    ID_AA_SIGNING_CERTIFICATE_V_2, ID_CONTENT_TYPE, ID_DATA, ID_MESSAGE_DIGEST, ID_SIGNED_DATA,
    ID_SIGNING_TIME,
};
use const_oid::db::rfc5912::{ID_SHA_256, RSA_ENCRYPTION};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use std::time::SystemTime;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::time::Time;

pub(crate) fn sha256_alg() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ID_SHA_256,
        parameters: None,
    }
}

fn rsa_alg() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: RSA_ENCRYPTION,
        parameters: Some(Any::null()),
    }
}

fn attribute(oid: const_oid::ObjectIdentifier, value: Any) -> Result<Attribute, SignError> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

fn signing_time(now: SystemTime) -> Result<Time, SignError> {
    // UTCTime up to 2049 as RFC 5652 §11.3 asks, GeneralizedTime after.
    let dt = der::DateTime::from_system_time(now)?;
    if dt.year() < 2050 {
        Ok(Time::UtcTime(der::asn1::UtcTime::from_date_time(dt)?))
    } else {
        Ok(Time::GeneralTime(
            der::asn1::GeneralizedTime::from_date_time(dt),
        ))
    }
}

/// DER TLV with a short or long definite length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// The ESS signing-certificate-v2 attribute value (RFC 5035), as CAdES-BES and PAdES ask:
/// `SigningCertificateV2 { certs { ESSCertIDv2 { certHash SHA-256, issuerSerial } } }`, the
/// hash algorithm left to its SHA-256 default. It binds the signature to the signer's
/// certificate, so that a certificate with the same key cannot be substituted.
pub(crate) fn signing_certificate_v2(cert: &Certificate) -> Result<Vec<u8>, SignError> {
    let hash = Sha256::digest(cert.to_der()?);
    let cert_hash = tlv(0x04, &hash);
    let issuer = cert.tbs_certificate.issuer.to_der()?;
    let general_names = tlv(0x30, &tlv(0xa4, &issuer));
    let serial = cert.tbs_certificate.serial_number.to_der()?;
    let issuer_serial = tlv(0x30, &[general_names, serial].concat());
    let ess_cert_id = tlv(0x30, &[cert_hash, issuer_serial].concat());
    Ok(tlv(0x30, &tlv(0x30, &ess_cert_id)))
}

/// A detached CMS SignedData over `content` with one SignerInfo (RSA PKCS#1 v1.5, SHA-256).
///
/// `chain` starts with the signer's certificate; the whole chain is embedded. The signed
/// attributes are content type, signing time (`signing_time`), message digest and the ESS
/// signing-certificate-v2 (CAdES-BES); `raw_sign` receives their DER encoding and must return
/// the RSASSA-PKCS1-v1_5 SHA-256 signature over it, which is all a token or a remote service
/// has to provide.
pub fn build_detached(
    content: &[u8],
    chain: &[Certificate],
    signing_time_at: SystemTime,
    raw_sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, SignError>,
) -> Result<Vec<u8>, SignError> {
    build_cms(content, chain, Some(signing_time_at), raw_sign)
}

/// The CMS of an embedded PDF signature (PAdES baseline B-B, `/SubFilter
/// /ETSI.CAdES.detached`, ETSI EN 319 142-1 §5.1): like [`build_detached`] but **without** the
/// signing-time attribute, which PAdES forbids — the claimed signing time is the signature
/// dictionary's `/M` instead. `content` is the two byte ranges of the PDF, concatenated.
pub fn build_pades(
    content: &[u8],
    chain: &[Certificate],
    raw_sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, SignError>,
) -> Result<Vec<u8>, SignError> {
    build_cms(content, chain, None, raw_sign)
}

fn build_cms(
    content: &[u8],
    chain: &[Certificate],
    signing_time_at: Option<SystemTime>,
    raw_sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, SignError>,
) -> Result<Vec<u8>, SignError> {
    let signer_cert = chain
        .first()
        .ok_or_else(|| SignError::Invalid("empty certificate chain".into()))?;
    let digest = Sha256::digest(content);
    let mut attrs = vec![attribute(ID_CONTENT_TYPE, Any::encode_from(&ID_DATA)?)?];
    if let Some(at) = signing_time_at {
        let time = signing_time(at)?;
        attrs.push(attribute(ID_SIGNING_TIME, Any::encode_from(&time)?)?);
    }
    attrs.push(attribute(
        ID_MESSAGE_DIGEST,
        Any::encode_from(&OctetString::new(digest.to_vec())?)?,
    )?);
    attrs.push(attribute(
        ID_AA_SIGNING_CERTIFICATE_V_2,
        Any::from_der(&signing_certificate_v2(signer_cert)?)?,
    )?);
    let signed_attrs = SetOfVec::try_from(attrs)?;
    let signature = raw_sign(&signed_attrs.to_der()?)?;
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: signer_cert.tbs_certificate.issuer.clone(),
            serial_number: signer_cert.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: sha256_alg(),
        signed_attrs: Some(signed_attrs),
        signature_algorithm: rsa_alg(),
        signature: OctetString::new(signature)?,
        unsigned_attrs: None,
    };
    let certs = chain
        .iter()
        .cloned()
        .map(CertificateChoices::Certificate)
        .collect::<Vec<_>>();
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256_alg()])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(SetOfVec::try_from(certs)?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
    };
    content_info(&signed_data)
}

fn content_info(signed_data: &SignedData) -> Result<Vec<u8>, SignError> {
    Ok(ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(signed_data)?,
    }
    .to_der()?)
}

/// The SignedData inside a DER ContentInfo.
pub(crate) fn parse_signed_data(cms_der: &[u8]) -> Result<SignedData, SignError> {
    let ci = ContentInfo::from_der(cms_der)?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(SignError::Invalid(format!(
            "content type {} is not SignedData",
            ci.content_type
        )));
    }
    Ok(ci.content.decode_as::<SignedData>()?)
}

/// Merge detached SignedData structures over the same content into one with all their
/// SignerInfos and certificates (parallel signatures). Used to add the agency's signature to
/// a document the signer already signed.
pub fn merge(signatures: &[&[u8]]) -> Result<Vec<u8>, SignError> {
    let mut digest_algs: Vec<AlgorithmIdentifierOwned> = Vec::new();
    let mut certs: Vec<CertificateChoices> = Vec::new();
    let mut cert_ders: Vec<Vec<u8>> = Vec::new();
    let mut infos: Vec<SignerInfo> = Vec::new();
    let mut version = CmsVersion::V1;
    for sig in signatures {
        let sd = parse_signed_data(sig)?;
        if sd.encap_content_info.econtent.is_some()
            || sd.encap_content_info.econtent_type != ID_DATA
        {
            return Err(SignError::Invalid(
                "only detached signatures over data can be merged".into(),
            ));
        }
        if sd.version > version {
            version = sd.version;
        }
        for alg in sd.digest_algorithms.iter() {
            if !digest_algs.contains(alg) {
                digest_algs.push(alg.clone());
            }
        }
        for cert in sd.certificates.iter().flat_map(|c| c.0.iter()) {
            let der = cert.to_der()?;
            if !cert_ders.contains(&der) {
                cert_ders.push(der);
                certs.push(cert.clone());
            }
        }
        for info in sd.signer_infos.0.iter() {
            if !infos.contains(info) {
                infos.push(info.clone());
            }
        }
    }
    if infos.is_empty() {
        return Err(SignError::Invalid("no signature to merge".into()));
    }
    let signed_data = SignedData {
        version,
        digest_algorithms: SetOfVec::try_from(digest_algs)?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: if certs.is_empty() {
            None
        } else {
            Some(CertificateSet(SetOfVec::try_from(certs)?))
        },
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(infos)?),
    };
    content_info(&signed_data)
}

/// The two signatures of an issued document: the signer's (personal certificate) and the
/// agency's (organisation certificate), as one SignedData with two SignerInfos.
pub fn sign_document(
    content: &[u8],
    personal: &dyn Signer,
    agency: &dyn Signer,
) -> Result<Vec<u8>, SignError> {
    let a = personal.sign_detached(content)?;
    let b = agency.sign_detached(content)?;
    merge(&[&a, &b])
}
