//! A checkout in the original SRE agent scripts' layout, for the import tests: `gateway/config.yaml`
//! (flat `key: value`), `gateway/.env`, `backend/.env` and `backend/openapi_specs/*.yaml.template`.
//! Written by this project from the facts the import issue lists (the keys and variables each file
//! holds, `{{BACKEND_DOMAIN}}` in the templates, backends on 8011-8014), not copied from the scripts.
//! Also the user pool and app client the original Cognito setup would have created, in the emulator.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aws_config::BehaviorVersion;

/// The secret values the `.env` files hold; no output or written file may contain them.
pub const CLIENT_SECRET_VALUE: &str = "imp-client-s3cret-Qx9wz";
pub const API_KEY_VALUE: &str = "imp-backend-k3y-Rv2tt";
/// The backends' domain in `backend/.env`.
pub const BACKEND_DOMAIN: &str = "backend.sre-agent.internal";

/// The four templates: file stem, title, port, operationIds.
const TEMPLATES: [(&str, &str, u16, [&str; 2]); 4] = [
    (
        "k8s_api",
        "Kubernetes Analysis API",
        8011,
        ["getPodStatus", "getClusterEvents"],
    ),
    (
        "logs_api",
        "Application Logs API",
        8012,
        ["searchLogs", "getErrorLogs"],
    ),
    (
        "metrics_api",
        "Application Metrics API",
        8013,
        ["getPerformanceMetrics", "getResourceUsage"],
    ),
    (
        "runbooks_api",
        "Runbooks API",
        8014,
        ["searchRunbooks", "getIncidentPlaybook"],
    ),
];

/// The original layout's files, each editable before it is written.
#[derive(Debug, Clone)]
pub struct Original {
    /// `gateway/config.yaml`: key → the text after `key: `, exactly as written.
    pub config: Vec<(String, String)>,
    pub gateway_env: Option<Vec<(String, String)>>,
    pub backend_env: Option<Vec<(String, String)>>,
    /// File name → contents under `backend/openapi_specs/`.
    pub templates: BTreeMap<String, String>,
}

impl Original {
    /// A complete, correct checkout in us-east-1, account 123456789012 (the emulator's).
    pub fn clean() -> Self {
        let pairs = |items: &[(&str, &str)]| {
            items
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        Self {
            config: pairs(&[
                ("account_id", "123456789012"),
                ("region", "us-east-1"),
                ("role_name", "SreAgentImportRole"),
                (
                    "endpoint_url",
                    "https://bedrock-agentcore-control.us-east-1.amazonaws.com",
                ),
                (
                    "credential_provider_endpoint_url",
                    "https://bedrock-agentcore.us-east-1.amazonaws.com",
                ),
                ("user_pool_id", "us-east-1_ImpOrt42"),
                ("client_id", "4l3n0vq2k5impo7rt8d9"),
                ("s3_bucket", "sre-import-specs-123456789012"),
                ("s3_path_prefix", "devops-multiagent-demo"),
                ("credential_provider_name", "sre-import-api-key"),
                ("provider_arn", ""),
                ("gateway_name", "SreImportGateway"),
                ("gateway_description", "AgentCore gateway for the SRE agent"),
                ("target_description", "OpenAPI target for an SRE agent backend"),
            ]),
            gateway_env: Some(pairs(&[
                (
                    "COGNITO_DOMAIN",
                    "https://sre-import.auth.us-east-1.amazoncognito.com",
                ),
                ("COGNITO_CLIENT_ID", "4l3n0vq2k5impo7rt8d9"),
                ("COGNITO_CLIENT_SECRET", CLIENT_SECRET_VALUE),
                ("COGNITO_USER_POOL_ID", "us-east-1_ImpOrt42"),
                ("BACKEND_API_KEY", API_KEY_VALUE),
            ])),
            backend_env: Some(pairs(&[("BACKEND_DOMAIN", BACKEND_DOMAIN)])),
            templates: TEMPLATES
                .iter()
                .map(|(stem, title, port, ops)| {
                    (format!("{stem}.yaml.template"), template(title, *port, ops))
                })
                .collect(),
        }
    }

    /// Sets the text after `key: ` in gateway/config.yaml (adds the key when missing).
    #[must_use]
    pub fn set(mut self, key: &str, raw: &str) -> Self {
        match self.config.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = raw.to_string(),
            None => self.config.push((key.to_string(), raw.to_string())),
        }
        self
    }

    /// Uses an existing user pool and app client, in config.yaml and gateway/.env alike.
    #[must_use]
    pub fn with_cognito(mut self, pool: &str, client: &str) -> Self {
        self = self.set("user_pool_id", pool).set("client_id", client);
        if let Some(env) = &mut self.gateway_env {
            for (k, v) in env.iter_mut() {
                match k.as_str() {
                    "COGNITO_USER_POOL_ID" => *v = pool.to_string(),
                    "COGNITO_CLIENT_ID" => *v = client.to_string(),
                    _ => {}
                }
            }
        }
        self
    }

    #[must_use]
    pub fn without_gateway_env(mut self) -> Self {
        self.gateway_env = None;
        self
    }

    /// Writes the checkout into `dir` (created when missing).
    pub fn write(&self, dir: &Path) {
        let file = |relative: &str, text: String| {
            let path = dir.join(relative);
            std::fs::create_dir_all(path.parent().expect("has a folder")).expect("mkdir");
            std::fs::write(path, text).expect("write original file");
        };
        let lines: Vec<String> =
            std::iter::once("# AgentCore gateway settings used by the setup scripts".into())
                .chain(self.config.iter().map(|(key, raw)| format!("{key}: {raw}")))
                .collect();
        let config = format!("{}\n", lines.join("\n"));
        file("gateway/config.yaml", config);
        let env_text = |vars: &[(String, String)]| {
            vars.iter()
                .map(|(k, v)| format!("{k}={v}\n"))
                .collect::<Vec<_>>()
                .concat()
        };
        if let Some(vars) = &self.gateway_env {
            file(
                "gateway/.env",
                format!("# written by the Cognito setup\n{}", env_text(vars)),
            );
        }
        if let Some(vars) = &self.backend_env {
            file("backend/.env", env_text(vars));
        }
        for (name, text) in &self.templates {
            file(&format!("backend/openapi_specs/{name}"), text.clone());
        }
    }
}

/// A spec template in the original form: `{{BACKEND_DOMAIN}}` in the servers URL.
fn template(title: &str, port: u16, ops: &[&str; 2]) -> String {
    let paths: Vec<String> = ops
        .iter()
        .map(|op| {
            format!(
                "  /{op}:\n    get:\n      operationId: {op}\n      summary: {op}\n      parameters:\n\
                 \x20       - name: namespace\n          in: query\n          required: false\n          schema:\n            type: string\n\
                 \x20     responses:\n        \"200\":\n          description: OK\n          content:\n            application/json:\n\
                 \x20             schema:\n                type: object\n"
            )
        })
        .collect();
    format!(
        "openapi: 3.0.3\ninfo:\n  title: {title}\n  version: \"1.0.0\"\n  description: Read-only {title} for SRE investigations.\n\
         servers:\n  - url: \"https://{{{{BACKEND_DOMAIN}}}}:{port}\"\n    description: SRE agent backend\n\
         security:\n  - apiKey: []\npaths:\n{}\
         components:\n  securitySchemes:\n    apiKey:\n      type: apiKey\n      in: header\n      name: X-API-Key\n",
        paths.concat()
    )
}

/// Every file under `dir` with its bytes, to prove a folder was not changed.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("list folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read file");
                files.insert(path.strip_prefix(dir).expect("under dir").to_path_buf(), bytes);
            }
        }
    }
    files
}

/// Creates, in the emulator at `endpoint`, the user pool and the app client (with a secret) that the
/// original Cognito setup would have made: their ids go into the original files. Returns the pool
/// id, the client id and the client's secret.
pub fn existing_cognito(endpoint: &str) -> (String, String, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let conf = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(aws_types::region::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_cognitoidentityprovider::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load()
            .await;
        let cognito = aws_sdk_cognitoidentityprovider::Client::new(&conf);
        let pool = cognito
            .create_user_pool()
            .pool_name("sre-agent-original")
            .send()
            .await
            .expect("pool");
        let pool = pool
            .user_pool()
            .and_then(|p| p.id())
            .expect("pool id")
            .to_string();
        let client = cognito
            .create_user_pool_client()
            .user_pool_id(&pool)
            .client_name("sre-agent-original")
            .generate_secret(true)
            .send()
            .await
            .expect("client");
        let client = client.user_pool_client().expect("client");
        (
            pool,
            client.client_id().expect("client id").to_string(),
            client.client_secret().expect("secret").to_string(),
        )
    })
}
