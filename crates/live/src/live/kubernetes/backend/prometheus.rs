//! Monitoring through Prometheus, as on a real cluster whose kubelets Prometheus scrapes:
//! instant queries of the kubelet's resource metrics over its HTTP API, each series mapped to
//! the node whose agent it was scraped from (its `instance` label, the agent's metrics
//! address). The readings are as old as Prometheus' last scrape.

use serde_json::Value;

use crate::live::kubernetes::agent::Sample;

/// Where Prometheus answers: `http://HOST:PORT[/PREFIX]`.
#[derive(Clone, Debug)]
pub struct Prometheus {
    address: String,
    prefix: String,
}

impl Prometheus {
    pub fn parse(url: &str) -> Result<Prometheus, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            format!("--prometheus {url}: expected http://HOST:PORT (https is not supported)")
        })?;
        let (address, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if !address.contains(':') {
            return Err(format!("--prometheus {url}: expected http://HOST:PORT"));
        }
        Ok(Prometheus {
            address: address.to_string(),
            prefix: prefix.trim_end_matches('/').to_string(),
        })
    }

    /// The series of `query` now, each as a sample with its labels.
    pub async fn query(&self, query: &str) -> Result<Vec<Sample>, String> {
        let prefix = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("/{}", self.prefix)
        };
        let path = format!("{prefix}/api/v1/query?query={}", encode(query));
        let body = super::http_get(&self.address, &path).await?;
        parse(&body).map_err(|e| format!("Prometheus at {}: {e}", self.address))
    }

    /// The samples of each node's series, by node index, as the agents' metrics would give
    /// them: `addresses` are the agents' metrics addresses, which Prometheus calls `instance`.
    pub async fn by_node(
        &self,
        queries: &[&str],
        addresses: &[&str],
    ) -> Result<Vec<Vec<Sample>>, String> {
        let mut nodes = vec![Vec::new(); addresses.len()];
        for q in queries {
            for s in self.query(q).await? {
                let at = s
                    .label("instance")
                    .and_then(|i| addresses.iter().position(|a| *a == i));
                if let Some(k) = at {
                    nodes[k].push(s);
                }
            }
        }
        Ok(nodes)
    }
}

/// Percent-encodes a query for a URL's query string.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An instant query's answer: `{"status":"success","data":{"resultType":"vector","result":
/// [{"metric":{...},"value":[t,"v"]}]}}`.
fn parse(body: &str) -> Result<Vec<Sample>, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("not a query answer: {e}"))?;
    if v["status"] != "success" {
        return Err(format!(
            "the query failed: {}",
            v["error"].as_str().unwrap_or("no reason given")
        ));
    }
    let result = v["data"]["result"]
        .as_array()
        .ok_or("the answer has no data.result")?;
    let mut samples = Vec::new();
    for r in result {
        let labels: Vec<(String, String)> = r["metric"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        let name = labels
            .iter()
            .find(|(k, _)| k == "__name__")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let value = r["value"][1]
            .as_str()
            .and_then(|v| v.parse().ok())
            .ok_or("a series without a numeric value")?;
        samples.push(Sample {
            name,
            labels,
            value,
        });
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_become_samples_and_bad_urls_are_refused() {
        let body = r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"__name__":"container_memory_working_set_bytes","pod":"a-0-0","instance":"127.0.0.1:4000"},"value":[1.5,"1048576"]}]}}"#;
        let s = parse(body).unwrap();
        assert_eq!(s[0].name, "container_memory_working_set_bytes");
        assert_eq!((s[0].label("pod"), s[0].value), (Some("a-0-0"), 1048576.0));
        let failed = parse(r#"{"status":"error","error":"parse error"}"#).unwrap_err();
        assert!(failed.contains("parse error"), "{failed}");
        assert_eq!(encode("a{b=\"c\"}"), "a%7Bb%3D%22c%22%7D");
        assert!(Prometheus::parse("https://x:1").is_err());
        let p = Prometheus::parse("http://127.0.0.1:9090/prom/").unwrap();
        assert_eq!(
            (p.address.as_str(), p.prefix.as_str()),
            ("127.0.0.1:9090", "prom")
        );
    }
}
