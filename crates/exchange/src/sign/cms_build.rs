//! Building detached CMS SignedData by hand from the `cms` crate's types, so that the raw
//! signature can come from anywhere (software key, token, service).

use super::{SignError, Signer};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::db::rfc5911::{
    ID_CONTENT_TYPE, ID_DATA, ID_MESSAGE_DIGEST, ID_SIGNED_DATA, ID_SIGNING_TIME,
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

/// A detached CMS SignedData over `content` with one SignerInfo (RSA PKCS#1 v1.5, SHA-256).
///
/// `chain` starts with the signer's certificate; the whole chain is embedded. The signed
/// attributes are content type, signing time (`signing_time`) and message digest; `raw_sign`
/// receives their DER encoding and must return the RSASSA-PKCS1-v1_5 SHA-256 signature over it,
/// which is all a token or a remote service has to provide.
pub fn build_detached(
    content: &[u8],
    chain: &[Certificate],
    signing_time_at: SystemTime,
    raw_sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, SignError>,
) -> Result<Vec<u8>, SignError> {
    let signer_cert = chain
        .first()
        .ok_or_else(|| SignError::Invalid("empty certificate chain".into()))?;
    let digest = Sha256::digest(content);
    let time = signing_time(signing_time_at)?;
    let signed_attrs = SetOfVec::try_from(vec![
        attribute(ID_CONTENT_TYPE, Any::encode_from(&ID_DATA)?)?,
        attribute(ID_SIGNING_TIME, Any::encode_from(&time)?)?,
        attribute(
            ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest.to_vec())?)?,
        )?,
    ])?;
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
