//! OPA's `providers.aws.sign_req(request, aws_config, time_ns)`: an
//! `http.send` request object with AWS Signature Version 4 headers added
//! (`Authorization`, `host`, `x-amz-date`, and for S3 and Glacier
//! `x-amz-content-sha256`), as OPA's `v1/topdown/providers.go` and
//! `internal/providers/aws/signing_v4.go` build them. The signing time is
//! an argument, so the answer is deterministic; nothing is sent.

use std::collections::BTreeMap;

use hmac::{Hmac, KeyInit, Mac};
use regorus::Value;
use sha2::{Digest, Sha256};

use super::extra_builtins::type_name;

/// Each builtin's name and number of arguments.
pub const BUILTINS: &[(&str, u8)] = &[("providers.aws.sign_req", 3)];

const NAME: &str = "providers.aws.sign_req";

/// The keys an `http.send` request may have (OPA's `allowedKeys`).
const REQUEST_KEYS: &[&str] = &[
    "body",
    "cache",
    "cache_ignored_headers",
    "caching_mode",
    "enable_redirect",
    "force_cache",
    "force_cache_duration_seconds",
    "force_json_decode",
    "force_yaml_decode",
    "headers",
    "max_retry_attempts",
    "method",
    "raise_error",
    "raw_body",
    "timeout",
    "tls_ca_cert",
    "tls_ca_cert_env_variable",
    "tls_ca_cert_file",
    "tls_client_cert",
    "tls_client_cert_env_variable",
    "tls_client_cert_file",
    "tls_client_key",
    "tls_client_key_env_variable",
    "tls_client_key_file",
    "tls_insecure_skip_verify",
    "tls_server_name",
    "tls_use_system_certs",
    "url",
];

const CONFIG_KEYS: &[&str] = &[
    "aws_access_key",
    "aws_region",
    "aws_secret_access_key",
    "aws_service",
];

/// Headers a proxy may change, left out of the signature.
const IGNORED_HEADERS: &[&str] = &["authorization", "user-agent", "x-amzn-trace-id"];

pub(crate) fn call(name: &str, args: &[Value]) -> anyhow::Result<Value> {
    if name != NAME {
        anyhow::bail!("{name}: not a Gavel builtin");
    }
    let object = |i: usize| match args.get(i) {
        Some(o @ Value::Object(_)) => Ok(o.clone()),
        other => Err(anyhow::anyhow!(
            "{NAME}: operand {} must be object but got {}",
            i + 1,
            other.map_or("undefined", type_name)
        )),
    };
    let request = object(0)?;
    let config = object(1)?;
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.to_string(),
        _ => String::new(),
    };
    let get = |o: &Value, k: &str| match &o[k] {
        Value::Undefined => None,
        v => Some(v.clone()),
    };
    let entries = |o: &Value| -> BTreeMap<Value, Value> {
        match o {
            Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            _ => BTreeMap::new(),
        }
    };

    let missing: Vec<&str> = CONFIG_KEYS
        .iter()
        .copied()
        .filter(|k| get(&config, k).is_none())
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "{NAME}: operand 2 missing required AWS config parameters(s): {}",
            go_set(&missing)
        );
    }
    let invalid: Vec<&str> = CONFIG_KEYS
        .iter()
        .copied()
        .filter(|k| !matches!(get(&config, k), Some(Value::String(_))))
        .collect();
    if !invalid.is_empty() {
        anyhow::bail!(
            "{NAME}: operand 2 invalid values for required AWS config parameters(s): {}",
            go_set(&invalid)
        );
    }
    let time_ns = match args.get(2) {
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| {
            anyhow::anyhow!(
                "{NAME}: operand 3 could not convert time_ns value into a unix timestamp"
            )
        })?,
        other => anyhow::bail!(
            "{NAME}: operand 3 must be number but got {}",
            other.map_or("undefined", type_name)
        ),
    };

    let unknown: Vec<String> = entries(&request)
        .keys()
        .map(|k| match k {
            Value::String(s) => s.to_string(),
            other => other.to_string(),
        })
        .filter(|k| !REQUEST_KEYS.contains(&k.as_str()))
        .collect();
    if !unknown.is_empty() {
        let unknown: Vec<&str> = unknown.iter().map(String::as_str).collect();
        anyhow::bail!(
            "{NAME}: operand 1 invalid request parameters(s): {}",
            go_set(&unknown)
        );
    }
    let required: Vec<&str> = ["method", "url"]
        .into_iter()
        .filter(|k| get(&request, k).is_none())
        .collect();
    if !required.is_empty() {
        anyhow::bail!(
            "{NAME}: operand 1 missing required request parameters(s): {}",
            go_set(&required)
        );
    }
    let headers = match get(&request, "headers") {
        None => BTreeMap::new(),
        Some(Value::Object(h)) => h
            .iter()
            .map(|(k, v)| (text(Some(k)), text(Some(v))))
            .collect(),
        Some(other) => anyhow::bail!(
            "{NAME}: operand 0 must be object but got {}",
            type_name(&other)
        ),
    };
    let bad: Vec<&str> = ["method", "url"]
        .into_iter()
        .filter(|k| !matches!(get(&request, k), Some(Value::String(_))))
        .collect();
    if !bad.is_empty() {
        anyhow::bail!(
            "{NAME}: operand 1 invalid values for required request parameters(s): {}",
            go_set(&bad)
        );
    }
    let url = text(get(&request, "url").as_ref());
    let method = text(get(&request, "method").as_ref());
    let (host, path, query) = super::net_string_builtins::url_for_signing(&url)
        .map_err(|e| anyhow::anyhow!("{NAME}: {e}"))?;
    let body: Vec<u8> = match (get(&request, "raw_body"), get(&request, "body")) {
        (Some(raw), _) => text(Some(&raw)).into_bytes(),
        (None, Some(body)) => {
            let json = super::convert::to_json(&body)
                .map_err(|e| anyhow::anyhow!("{NAME}: {e}"))?
                .unwrap_or(serde_json::Value::Null);
            super::nd_cache::go_json(&json).into_bytes()
        }
        (None, None) => Vec::new(),
    };
    let unsigned = match get(&config, "disable_payload_signing") {
        None => false,
        Some(Value::Bool(b)) => b,
        Some(_) => anyhow::bail!(
            "{NAME}: operand 2 invalid value for 'disable_payload_signing' in AWS config"
        ),
    };
    let credentials = Credentials {
        access_key: text(get(&config, "aws_access_key").as_ref()),
        secret_key: text(get(&config, "aws_secret_access_key").as_ref()),
        region: text(get(&config, "aws_region").as_ref()),
        session_token: text(get(&config, "aws_session_token").as_ref()),
    };
    let service = text(get(&config, "aws_service").as_ref());
    let signed = sign_v4(
        &headers,
        &SignedRequest {
            method: &method,
            host: &host,
            path: &path,
            query: &query,
            body: &body,
        },
        &service,
        &credentials,
        time_ns,
        unsigned,
    )?;
    let mut out = entries(&request);
    out.insert(
        Value::from("headers"),
        Value::from(
            signed
                .into_iter()
                .map(|(k, v)| (Value::from(k), Value::from(v)))
                .collect::<BTreeMap<_, _>>(),
        ),
    );
    Ok(Value::from(out))
}

/// A Go `%v` of a set of strings: `{"a", "b"}`, sorted.
fn go_set(keys: &[&str]) -> String {
    let mut keys = keys.to_vec();
    keys.sort_unstable();
    let quoted: Vec<String> = keys.iter().map(|k| format!("{k:?}")).collect();
    format!("{{{}}}", quoted.join(", "))
}

struct Credentials {
    access_key: String,
    secret_key: String,
    region: String,
    session_token: String,
}

struct SignedRequest<'a> {
    method: &'a str,
    host: &'a str,
    path: &'a str,
    query: &'a str,
    body: &'a [u8],
}

fn mac(key: &[u8], message: &str) -> anyhow::Result<Vec<u8>> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .map_err(|e| anyhow::anyhow!("{NAME}: {e}"))?;
    m.update(message.as_bytes());
    Ok(m.finalize().into_bytes().to_vec())
}

/// OPA's `SignV4`: the request's headers with the signature's added.
fn sign_v4(
    headers: &BTreeMap<String, String>,
    req: &SignedRequest,
    service: &str,
    creds: &Credentials,
    time_ns: i64,
    unsigned_payload: bool,
) -> anyhow::Result<BTreeMap<String, String>> {
    let when = chrono::DateTime::from_timestamp(
        time_ns.div_euclid(1_000_000_000),
        u32::try_from(time_ns.rem_euclid(1_000_000_000)).unwrap_or(0),
    )
    .ok_or_else(|| anyhow::anyhow!("{NAME}: operand 3 is out of range"))?;
    let date = when.format("%Y%m%d").to_string();
    let stamp = when.format("%Y%m%dT%H%M%SZ").to_string();
    let content_hash = if unsigned_payload {
        "UNSIGNED-PAYLOAD".to_string()
    } else {
        hex::encode(Sha256::digest(req.body))
    };
    let mut aws_headers = BTreeMap::from([
        ("host".to_string(), req.host.to_string()),
        ("x-amz-date".to_string(), stamp.clone()),
    ]);
    if service == "s3" || service == "glacier" {
        aws_headers.insert("x-amz-content-sha256".to_string(), content_hash.clone());
    }
    if !creds.session_token.is_empty() {
        aws_headers.insert(
            "x-amz-security-token".to_string(),
            creds.session_token.clone(),
        );
    }
    // The request's own headers, lower-cased, win over the signature's in
    // what is signed (and the signature's win in what is sent).
    let mut to_sign = aws_headers.clone();
    for (k, v) in headers {
        let lower = k.to_lowercase();
        if !IGNORED_HEADERS.contains(&lower.as_str()) {
            to_sign.insert(lower, v.clone());
        }
    }
    let mut canonical = format!("{}\n{}\n{}\n", req.method, req.path, req.query);
    for (k, v) in &to_sign {
        canonical.push_str(&format!("{k}:{v}\n"));
    }
    let signed_headers = to_sign.keys().cloned().collect::<Vec<_>>().join(";");
    canonical.push_str(&format!("\n{signed_headers}\n{content_hash}"));
    let scope = format!("{date}/{}/{service}/aws4_request", creds.region);
    let to_sign_text = format!(
        "AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut key = mac(format!("AWS4{}", creds.secret_key).as_bytes(), &date)?;
    for part in [creds.region.as_str(), service, "aws4_request"] {
        key = mac(&key, part)?;
    }
    let signature = hex::encode(mac(&key, &to_sign_text)?);
    let mut out = headers.clone();
    out.insert(
        "Authorization".to_string(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope},SignedHeaders={signed_headers},Signature={signature}",
            creds.access_key
        ),
    );
    out.extend(aws_headers);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(json: &str) -> Value {
        Value::from_json_str(json).unwrap()
    }

    const CONFIG: &str = r#"{"aws_access_key": "MYAWSACCESSKEYGOESHERE", "aws_secret_access_key": "MYAWSSECRETACCESSKEYGOESHERE", "aws_service": "s3", "aws_region": "us-east-1"}"#;

    /// OPA's cases (`v1/test/cases/testdata/v1/providers-aws/aws-sign_req.yaml`).
    #[test]
    fn signs_as_opa() {
        let signed = call(
            NAME,
            &[
                v(r#"{"method": "get", "url": "http://example.com", "headers": {"foo": "bar"}}"#),
                v(CONFIG),
                Value::from(1_451_311_705_000_000_000_i64),
            ],
        )
        .unwrap();
        assert_eq!(
            signed,
            v(
                r#"{"method": "get", "url": "http://example.com", "headers": {
                "Authorization": "AWS4-HMAC-SHA256 Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/aws4_request,SignedHeaders=foo;host;x-amz-content-sha256;x-amz-date,Signature=8f1dc7c9b9978356a0d0989fd26a95307f4f8a4aa264d8220647b7097d839952",
                "host": "example.com",
                "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "x-amz-date": "20151228T140825Z",
                "foo": "bar"}}"#
            )
        );
        let body = call(
            NAME,
            &[
                v(r#"{"method": "get", "url": "https://example.com", "headers": {"foo": "bar", "x-amz-content-sha256": "existing-value"}, "body": {"example": [1, 2, 3, 4]}}"#),
                v(&CONFIG.replace('}', r#", "disable_payload_signing": true}"#)),
                Value::from(1_451_311_705_000_000_000_i64),
            ],
        )
        .unwrap();
        let headers = &body["headers"];
        assert_eq!(
            headers["Authorization"],
            Value::from(
                "AWS4-HMAC-SHA256 Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/aws4_request,SignedHeaders=foo;host;x-amz-content-sha256;x-amz-date,Signature=edcd3ca3fd3acdfbcecad1a1d8062dbc6562d90352e294c336f9727397f9c383"
            )
        );
        assert_eq!(
            headers["x-amz-content-sha256"],
            Value::from("UNSIGNED-PAYLOAD")
        );
        let err = call(NAME, &[v(r#"{"url": "x"}"#), v(CONFIG), Value::from(0)])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            r#"providers.aws.sign_req: operand 1 missing required request parameters(s): {"method"}"#
        );
    }
}
