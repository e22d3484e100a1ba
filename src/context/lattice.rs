//! What VPC Lattice knows about a request (payload V2's `requestContext`).

use serde::{Deserialize, Deserializer};

/// The `requestContext` of a VPC Lattice payload V2 event: the service network, service and
/// target group the request came through, the region, the time, and the caller's identity. Read
/// from the event only. (Payload V1 events carry no context.)
///
/// With the `axum` feature it is an extractor that refuses (with `404 Not Found`) any request
/// that did not come from a VPC Lattice V2 event.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatticeContext {
    #[serde(default)]
    service_network_arn: Option<String>,
    #[serde(default)]
    service_arn: Option<String>,
    #[serde(default)]
    target_group_arn: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default, deserialize_with = "string_or_number")]
    time_epoch: Option<String>,
    #[serde(default)]
    identity: Option<LatticeIdentity>,
}

/// Who called a VPC Lattice service: the source VPC and, when the service network or service has
/// an auth policy and the caller signed with SigV4, its IAM principal; for IAM Roles Anywhere
/// callers also the X.509 certificate's names.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatticeIdentity {
    #[serde(default)]
    source_vpc_arn: Option<String>,
    #[serde(default, rename = "type")]
    identity_type: Option<String>,
    #[serde(default)]
    principal: Option<String>,
    #[serde(default, rename = "principalOrgID", alias = "principalOrgId")]
    principal_org_id: Option<String>,
    #[serde(default)]
    session_name: Option<String>,
    #[serde(default, alias = "X509IssuerOu")]
    x509_issuer_ou: Option<String>,
    #[serde(default, alias = "X509SanDns")]
    x509_san_dns: Option<String>,
    #[serde(default, alias = "X509SanNameCn")]
    x509_san_name_cn: Option<String>,
    #[serde(default, alias = "X509SanUri")]
    x509_san_uri: Option<String>,
    #[serde(default, alias = "X509SubjectCn")]
    x509_subject_cn: Option<String>,
}

impl LatticeContext {
    /// The ARN of the service network the request came through.
    pub fn service_network_arn(&self) -> Option<&str> {
        self.service_network_arn.as_deref()
    }

    /// The ARN of the VPC Lattice service.
    pub fn service_arn(&self) -> Option<&str> {
        self.service_arn.as_deref()
    }

    /// The ARN of the target group the function belongs to.
    pub fn target_group_arn(&self) -> Option<&str> {
        self.target_group_arn.as_deref()
    }

    /// The region (`us-west-2`, ...).
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// When VPC Lattice received the request, in microseconds since the Unix epoch.
    pub fn time_epoch_micros(&self) -> Option<u64> {
        self.time_epoch.as_deref()?.parse().ok()
    }

    /// The caller's identity.
    pub fn identity(&self) -> Option<&LatticeIdentity> {
        self.identity.as_ref()
    }
}

impl LatticeIdentity {
    /// The ARN of the VPC the request came from, when VPC Lattice could tell.
    pub fn source_vpc_arn(&self) -> Option<&str> {
        self.source_vpc_arn.as_deref()
    }

    /// `AWS_IAM` when an auth policy is in force and the caller authenticated.
    pub fn identity_type(&self) -> Option<&str> {
        self.identity_type.as_deref()
    }

    /// The authenticated IAM principal (a role or user ARN).
    pub fn principal(&self) -> Option<&str> {
        self.principal.as_deref()
    }

    /// The AWS Organizations id of the principal's organization.
    pub fn principal_org_id(&self) -> Option<&str> {
        self.principal_org_id.as_deref()
    }

    /// The session name of an assumed-role principal.
    pub fn session_name(&self) -> Option<&str> {
        self.session_name.as_deref()
    }

    /// Roles Anywhere: the certificate issuer's organizational unit.
    pub fn x509_issuer_ou(&self) -> Option<&str> {
        self.x509_issuer_ou.as_deref()
    }

    /// Roles Anywhere: the certificate's subject alternative name (DNS).
    pub fn x509_san_dns(&self) -> Option<&str> {
        self.x509_san_dns.as_deref()
    }

    /// Roles Anywhere: the certificate's alternative name (Name/CN).
    pub fn x509_san_name_cn(&self) -> Option<&str> {
        self.x509_san_name_cn.as_deref()
    }

    /// Roles Anywhere: the certificate's subject alternative name (URI).
    pub fn x509_san_uri(&self) -> Option<&str> {
        self.x509_san_uri.as_deref()
    }

    /// Roles Anywhere: the certificate subject's common name.
    pub fn x509_subject_cn(&self) -> Option<&str> {
        self.x509_subject_cn.as_deref()
    }
}

/// `timeEpoch` is documented as a string of digits; a number is read too.
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Epoch {
        Text(String),
        Number(u64),
    }
    Ok(Option::<Epoch>::deserialize(d)?.map(|epoch| match epoch {
        Epoch::Text(text) => text,
        Epoch::Number(number) => number.to_string(),
    }))
}
