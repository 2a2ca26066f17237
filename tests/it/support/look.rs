//! SDK clients pointed at the emulator, for tests that look at (or change) what a run left
//! behind the tool's back.

use aws_config::BehaviorVersion;

use super::emulator::Emulator;

/// A runtime and an SDK config for the emulator in us-east-1.
pub struct Look {
    pub rt: tokio::runtime::Runtime,
    pub conf: aws_config::SdkConfig,
}

impl Look {
    pub fn new(emu: &Emulator) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let conf = rt.block_on(
            aws_config::defaults(BehaviorVersion::latest())
                .endpoint_url(emu.endpoint())
                .region(aws_types::region::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_iam::config::Credentials::new(
                    "testing", "testing", None, None, "test",
                ))
                .load(),
        );
        Self { rt, conf }
    }

    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.conf)
    }

    pub fn cognito(&self) -> aws_sdk_cognitoidentityprovider::Client {
        aws_sdk_cognitoidentityprovider::Client::new(&self.conf)
    }

    pub fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.conf)
                .force_path_style(true)
                .build(),
        )
    }

    pub fn route53(&self) -> aws_sdk_route53::Client {
        aws_sdk_route53::Client::new(&self.conf)
    }

    /// A public hosted zone for `name`; its id.
    pub fn hosted_zone(&self, name: &str) -> String {
        let made = self
            .rt
            .block_on(
                self.route53()
                    .create_hosted_zone()
                    .name(name)
                    .caller_reference(format!("test-{name}"))
                    .send(),
            )
            .expect("create hosted zone");
        made.hosted_zone().map(|z| z.id().to_string()).expect("zone id")
    }

    /// The `_acme-challenge` TXT records of a zone, by name.
    pub fn challenge_records(&self, zone: &str) -> Vec<String> {
        let out = self
            .rt
            .block_on(
                self.route53()
                    .list_resource_record_sets()
                    .hosted_zone_id(zone)
                    .send(),
            )
            .expect("list record sets");
        out.resource_record_sets()
            .iter()
            .filter(|r| r.name().starts_with("_acme-challenge."))
            .map(|r| r.name().to_string())
            .collect()
    }

    pub fn agentcore(&self) -> aws_sdk_bedrockagentcorecontrol::Client {
        aws_sdk_bedrockagentcorecontrol::Client::new(&self.conf)
    }

    pub fn gateways_named(&self, name: &str) -> Vec<String> {
        let out = self
            .rt
            .block_on(self.agentcore().list_gateways().send())
            .expect("list gateways");
        out.items()
            .iter()
            .filter(|g| g.name() == name)
            .map(|g| g.gateway_id().to_string())
            .collect()
    }
    pub fn pools_named(&self, name: &str) -> Vec<String> {
        let out = self
            .rt
            .block_on(self.cognito().list_user_pools().max_results(60).send())
            .expect("pools");
        out.user_pools()
            .iter()
            .filter(|p| p.name() == Some(name))
            .filter_map(|p| p.id().map(str::to_string))
            .collect()
    }
    pub fn targets(&self, gateway: &str) -> Vec<String> {
        let out = self
            .rt
            .block_on(
                self.agentcore()
                    .list_gateway_targets()
                    .gateway_identifier(gateway)
                    .send(),
            )
            .expect("targets");
        out.items().iter().map(|t| t.name().to_string()).collect()
    }
    pub fn role_exists(&self, name: &str) -> bool {
        self.rt
            .block_on(self.iam().get_role().role_name(name).send())
            .is_ok()
    }
    pub fn bucket_exists(&self, name: &str) -> bool {
        self.rt
            .block_on(self.s3().head_bucket().bucket(name).send())
            .is_ok()
    }
    pub fn clients(&self, pool: &str) -> Vec<String> {
        let out = self
            .rt
            .block_on(
                self.cognito()
                    .list_user_pool_clients()
                    .user_pool_id(pool)
                    .max_results(60)
                    .send(),
            )
            .expect("clients");
        out.user_pool_clients()
            .iter()
            .filter_map(|c| c.client_name().map(str::to_string))
            .collect()
    }
}
