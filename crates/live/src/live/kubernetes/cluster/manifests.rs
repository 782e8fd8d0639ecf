//! The objects `cluster up` puts in a new API: the namespace migsim runs in, the Migration
//! CRD, the backend's and agents' roles, and the admission policy that keeps an agent to the
//! Migrations it takes part in (RBAC cannot say "only where you are the source or target").

use std::time::Duration;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::ApiResource;
use kube::{Client, CustomResourceExt};
use serde_json::{json, Value};

use crate::live::kubernetes::api::Migration;
use crate::live::kubernetes::pki::BACKEND_USER;

pub const NAMESPACE: &str = "migsim";
const MANAGER: &str = "migsim-cluster";

/// Everything, by server-side apply (so a second `up` on the same API changes nothing).
pub async fn apply(client: &Client) -> Result<(), String> {
    let crd = serde_json::to_value(Migration::crd()).map_err(|e| e.to_string())?;
    for object in [namespace(), crd]
        .into_iter()
        .chain(rbac())
        .chain(admission_policy())
    {
        apply_one(client, object).await?;
    }
    established(client, "migrations.migsim.io").await
}

fn namespace() -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
}

/// The backend schedules and migrates; an agent reads Migrations and writes their status
/// (the Node authorizer already gives it its Node, Lease and pods).
fn rbac() -> Vec<Value> {
    let backend_rules = json!([
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch", "create", "delete", "deletecollection"]},
        {"apiGroups": [""], "resources": ["pods/binding"], "verbs": ["create"]},
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["migsim.io"], "resources": ["migrations"], "verbs": ["get", "list", "watch", "create", "delete", "patch"]},
        {"apiGroups": ["migsim.io"], "resources": ["migrations/status"], "verbs": ["get"]},
        {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"], "verbs": ["get"]},
    ]);
    let agent_rules = json!([
        {"apiGroups": ["migsim.io"], "resources": ["migrations"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["migsim.io"], "resources": ["migrations/status"], "verbs": ["get", "patch", "update"]},
    ]);
    vec![
        role("migsim:backend", backend_rules),
        binding(
            "migsim:backend",
            json!({"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": BACKEND_USER}),
        ),
        role("migsim:node", agent_rules),
        binding(
            "migsim:node",
            json!({"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:nodes"}),
        ),
    ]
}

fn role(name: &str, rules: Value) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": name}, "rules": rules,
    })
}

fn binding(name: &str, subject: Value) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
        "subjects": [subject],
    })
}

fn admission_policy() -> Vec<Value> {
    let name = "migsim-node-migrations";
    vec![
        json!({
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": name},
            "spec": {
                "failurePolicy": "Fail",
                "matchConstraints": {"resourceRules": [{
                    "apiGroups": ["migsim.io"], "apiVersions": ["*"],
                    "operations": ["UPDATE"], "resources": ["migrations", "migrations/status"],
                }]},
                "matchConditions": [{
                    "name": "by-a-node",
                    "expression": "request.userInfo.username.startsWith('system:node:')",
                }],
                "validations": [{
                    "expression": "request.userInfo.username == 'system:node:' + object.spec.source || request.userInfo.username == 'system:node:' + object.spec.target",
                    "message": "a node may write only the Migrations it is the source or target of",
                }],
            },
        }),
        json!({
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": name},
            "spec": {"policyName": name, "validationActions": ["Deny"]},
        }),
    ]
}

async fn apply_one(client: &Client, object: Value) -> Result<(), String> {
    let (group, version) = match object["apiVersion"]
        .as_str()
        .unwrap_or_default()
        .split_once('/')
    {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (
            String::new(),
            object["apiVersion"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ),
    };
    let kind = object["kind"].as_str().unwrap_or_default().to_string();
    let name = object["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(&group, &version, &kind));
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
    api.patch(
        &name,
        &PatchParams::apply(MANAGER).force(),
        &Patch::Apply(&object),
    )
    .await
    .map(drop)
    .map_err(|e| {
        format!(
            "cannot create {kind} {name}: {e}",
            e = crate::live::kubernetes::api::say(&e)
        )
    })
}

/// Waits until the API serves the CRD's resource.
async fn established(client: &Client, name: &str) -> Result<(), String> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for _ in 0..200 {
        let crd = api
            .get(name)
            .await
            .map_err(|e| format!("CRD {name}: {e}"))?;
        let ready = crd
            .status
            .and_then(|s| s.conditions)
            .unwrap_or_default()
            .iter()
            .any(|c| c.type_ == "Established" && c.status == "True");
        if ready {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("CRD {name} was not established within 20 s"))
}
